//! A function's configuration from its environment variables (set by `infra/template.yaml`),
//! read once at init so a missing one fails the start, not a citizen's request. Errors name the
//! variable, never its value.

/// Why the environment cannot configure the function.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {why}")]
    Invalid { name: &'static str, why: String },
}

/// Looks a variable up by name.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// Where variables come from: the process environment, or (in tests) a lookup function, since
/// `set_var` is unsafe in edition 2024.
pub struct Env<'a> {
    lookup: Lookup<'a>,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env").finish_non_exhaustive()
    }
}

impl Env<'static> {
    /// The process environment.
    #[must_use]
    pub fn process() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }
}

impl<'a> Env<'a> {
    /// Variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Self { lookup: Box::new(lookup) }
    }

    /// The trimmed value, `None` when unset or blank: an empty value is a template mistake (an
    /// unset parameter), not a choice.
    #[must_use]
    pub fn optional(&self, name: &str) -> Option<String> {
        (self.lookup)(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty())
    }

    /// The trimmed value.
    ///
    /// # Errors
    /// [`EnvError::Missing`] when unset or blank.
    pub fn required(&self, name: &'static str) -> Result<String, EnvError> {
        self.optional(name).ok_or(EnvError::Missing(name))
    }

    /// The value, parsed by `parse`; its error becomes the reason, so it must not quote the value.
    ///
    /// # Errors
    /// [`EnvError::Missing`], or [`EnvError::Invalid`] with `parse`'s error.
    pub fn parsed<T, E: std::fmt::Display>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, EnvError> {
        let value = self.required(name)?;
        parse(&value).map_err(|err| EnvError::Invalid { name, why: err.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> Env<'static> {
        Env::from_lookup(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn unset_and_blank_variables_are_missing_and_named() {
        let vars = env(&[("BLANK", "  "), ("EMPTY", "")]);

        for name in ["UNSET", "BLANK", "EMPTY"] {
            assert_eq!(vars.optional(name), None, "{name}");
        }
        let err = vars.required("BLANK").expect_err("blank");
        assert_eq!(err, EnvError::Missing("BLANK"));
        assert!(err.to_string().contains("BLANK"), "{err}");
    }

    #[test]
    fn values_are_trimmed() {
        let vars = env(&[("TABLE_NAME", " complaints-dev \n")]);

        assert_eq!(vars.required("TABLE_NAME").as_deref(), Ok("complaints-dev"));
    }

    #[test]
    fn a_value_that_does_not_parse_is_invalid_and_named_with_the_reason() {
        let vars = env(&[("BATCH_SIZE", "many")]);

        let err = vars.parsed("BATCH_SIZE", |v| v.parse::<u16>().map_err(|_| "not a whole number")).expect_err("bad");

        assert_eq!(err, EnvError::Invalid { name: "BATCH_SIZE", why: "not a whole number".to_owned() });
        assert!(!err.to_string().contains("many"), "{err}");
    }
}
