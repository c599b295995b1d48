//! Form fields for staff actions and logging a complaint: how each question is asked (a text box,
//! a date, a choice, up to five points of complaint…), how its answer is checked for presence and
//! shape, and how the answers become the action's JSON form (the same body the API takes), which
//! `serde` then reads into `StaffAction` or `LogComplaint`. Only presence and shape are checked
//! here; every rule is the core's (through `StaffActions`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value as Json, json};

/// How many points of complaint a form offers.
pub const POINTS: usize = 5;
/// How many "part of the response for a member of staff" rows a form offers (R59).
pub const STAFF_PARTS: usize = 3;

/// Choices: (value as the JSON names it, words).
pub type Choices = Vec<(String, String)>;

/// How a question is asked.
#[derive(Debug, Clone)]
pub enum Kind {
    Text,
    Textarea,
    /// `YYYY-MM-DD` (a date picker where the browser has one).
    Date,
    /// A local (UK) date and time, `YYYY-MM-DD HH:MM` or the browser's `YYYY-MM-DDTHH:MM`,
    /// sent on as the instant it names (RFC 3339, UTC).
    DateTime,
    /// R52: someone complaining on another's behalf: the person affected, the relationship and
    /// whether the person's consent was confirmed (`{name}_person_affected`, `{name}_relationship`,
    /// `{name}_consent`). Blank when nobody represents anyone; the rules are the core's.
    Representation,
    /// A number counted from 1 on the page, from 0 in the action.
    Index,
    /// One of the choices.
    Select(Choices),
    /// Optional choice: the first option is "not given".
    OptSelect(Choices, &'static str),
    /// One item per line → a list of strings.
    Lines,
    /// Up to [`POINTS`] points of complaint, each a summary and the outcome sought (R24).
    Points,
    /// One outcome per point of complaint (R30): as many as the case has points.
    Outcomes(Choices),
    /// Up to [`STAFF_PARTS`] staff references with the part of the response for each (R59).
    StaffParts,
    /// An outcome that overrides the one derived from the points, with its reason (R34).
    Override(Choices),
    /// R54: which contact is restricted (by channel or person, by subject, or the procedure).
    Scope(Choices),
    /// R56: the child or young person's record (involvement, age band, format, referral date, the
    /// capacity decision, whether parents or carers are involved, the child's own decision).
    Child {
        involvement: Choices,
        age: Choices,
        format: Choices,
        /// What the child wants (`ChildWish`), for their own decision.
        wish: Choices,
    },
}

/// One question of a form.
#[derive(Debug, Clone)]
pub struct Field {
    /// The JSON field name (and the HTML name, or its prefix for grouped questions).
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub kind: Kind,
    pub required: bool,
}

impl Field {
    #[must_use]
    pub fn new(name: &'static str, label: &'static str, kind: Kind) -> Self {
        Self { name, label, hint: "", kind, required: true }
    }

    #[must_use]
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    #[must_use]
    pub fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }
}

/// A problem with one answer: the HTML id of the box to fix, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// What the form knows about the case (to ask one outcome per point, to offer the staff involved).
#[derive(Debug, Clone, Default)]
pub struct CaseFacts {
    /// How many points of complaint stage 2 holds (at least one outcome is always asked).
    pub points: usize,
}

/// The answers of a submitted form, by HTML name.
pub type Answers = BTreeMap<String, String>;

/// The serde name of a value (`Outcome::PartiallyUpheld` → `partially-upheld`).
#[must_use]
pub fn serde_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Choices from values and their words.
#[must_use]
pub fn choices<T: Serialize>(items: &[(T, &str)]) -> Choices {
    items.iter().map(|(value, words)| (serde_name(value), (*words).to_owned())).collect()
}

fn lower_first(label: &str) -> String {
    let mut chars = label.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

fn answer<'a>(answers: &'a Answers, name: &str) -> &'a str {
    answers.get(name).map_or("", |v| v.trim())
}

/// The outcome questions a form asks: one per point, at least one.
#[must_use]
pub fn outcome_count(facts: &CaseFacts) -> usize {
    facts.points.max(1)
}

fn choice(errors: &mut Vec<FieldError>, id: &str, label: &str, options: &Choices, value: &str) -> Option<String> {
    if options.iter().any(|(v, _)| v == value) {
        Some(value.to_owned())
    } else {
        errors.push(FieldError::new(id, format!("Choose {}", lower_first(label))));
        None
    }
}

fn date(errors: &mut Vec<FieldError>, id: &str, label: &str, value: &str) -> Option<String> {
    match value.parse::<NaiveDate>() {
        Ok(date) => Some(date.to_string()),
        Err(_) => {
            errors.push(FieldError::new(id, format!("Enter {} as a date, for example 2026-12-31", lower_first(label))));
            None
        }
    }
}

/// A local date and time as the instant it names (R8: receipt is judged in UK time).
fn date_time(errors: &mut Vec<FieldError>, id: &str, label: &str, value: &str) -> Option<String> {
    let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(value, format).ok());
    let Some(local) = local else {
        errors.push(FieldError::new(
            id,
            format!("Enter {} as a date and time, for example 2026-12-01 09:30", lower_first(label)),
        ));
        return None;
    };
    match complaints_core::workdays::instant_of_local(local) {
        Some(instant) => Some(instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        None => {
            errors.push(FieldError::new(id, "That time did not happen in the UK: the clocks went forward"));
            None
        }
    }
}

/// The JSON object the answers make, or every problem with them (presence and shape only).
///
/// # Errors
/// The problems, each naming its box.
pub fn to_json(fields: &[Field], answers: &Answers, facts: &CaseFacts) -> Result<Map<String, Json>, Vec<FieldError>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for field in fields {
        let name = field.name;
        let value = answer(answers, name);
        let missing = |errors: &mut Vec<FieldError>, id: &str| {
            errors.push(FieldError::new(id, format!("Enter {}", lower_first(field.label))));
        };
        match &field.kind {
            Kind::Text | Kind::Textarea => {
                if !value.is_empty() {
                    out.insert(name.to_owned(), json!(value));
                } else if field.required {
                    missing(&mut errors, name);
                }
            }
            Kind::Date => {
                if !value.is_empty() {
                    if let Some(date) = date(&mut errors, name, field.label, value) {
                        out.insert(name.to_owned(), json!(date));
                    }
                } else if field.required {
                    missing(&mut errors, name);
                }
            }
            Kind::DateTime => {
                if !value.is_empty() {
                    if let Some(instant) = date_time(&mut errors, name, field.label, value) {
                        out.insert(name.to_owned(), json!(instant));
                    }
                } else if field.required {
                    missing(&mut errors, name);
                }
            }
            Kind::Representation => {
                let part = |part: &str| answer(answers, &format!("{name}_{part}"));
                let (person, relationship, consent) = (part("person_affected"), part("relationship"), part("consent"));
                if [person, relationship, consent].iter().any(|given| !given.is_empty()) {
                    let consent_id = format!("{name}_consent");
                    let confirmed = match consent {
                        "" => Some(false),
                        given => {
                            choice(&mut errors, &consent_id, "whether consent was confirmed", &owned(&CONSENT), given)
                                .map(|chosen| chosen == "yes")
                        }
                    };
                    if let Some(confirmed) = confirmed {
                        // Blank names and a missing consent are the core's to refuse (R52).
                        out.insert(
                            name.to_owned(),
                            json!({ "person_affected": person, "relationship": relationship, "consent_confirmed": confirmed }),
                        );
                    }
                } else if field.required {
                    missing(&mut errors, &format!("{name}_person_affected"));
                }
            }
            Kind::Index => {
                if value.is_empty() {
                    if field.required {
                        missing(&mut errors, name);
                    }
                } else {
                    match value.parse::<usize>() {
                        Ok(n) if n >= 1 => {
                            out.insert(name.to_owned(), json!(n - 1));
                        }
                        _ => errors.push(FieldError::new(
                            name,
                            format!("Enter {} as a whole number from 1", lower_first(field.label)),
                        )),
                    }
                }
            }
            Kind::Select(options) => {
                if value.is_empty() {
                    errors.push(FieldError::new(name, format!("Choose {}", lower_first(field.label))));
                } else if let Some(v) = choice(&mut errors, name, field.label, options, value) {
                    out.insert(name.to_owned(), json!(v));
                }
            }
            Kind::OptSelect(options, _) => {
                if !value.is_empty()
                    && let Some(v) = choice(&mut errors, name, field.label, options, value)
                {
                    out.insert(name.to_owned(), json!(v));
                }
            }
            Kind::Lines => {
                let lines: Vec<&str> = value.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                if lines.is_empty() && field.required {
                    missing(&mut errors, name);
                }
                out.insert(name.to_owned(), json!(lines));
            }
            Kind::Points => {
                let mut points = Vec::new();
                for i in 1..=POINTS {
                    let (summary_id, outcome_id) = (format!("{name}_{i}_summary"), format!("{name}_{i}_outcome"));
                    let (summary, outcome) = (answer(answers, &summary_id), answer(answers, &outcome_id));
                    match (summary.is_empty(), outcome.is_empty()) {
                        (true, true) => {}
                        (false, false) => points.push(json!({ "summary": summary, "outcome_sought": outcome })),
                        (true, false) => errors.push(FieldError::new(summary_id, format!("Enter point {i}"))),
                        (false, true) => {
                            errors.push(FieldError::new(outcome_id, format!("Enter the outcome sought for point {i}")));
                        }
                    }
                }
                if !points.is_empty() {
                    out.insert(name.to_owned(), json!(points));
                } else if field.required {
                    errors.push(FieldError::new(format!("{name}_1_summary"), "Enter at least one point of complaint"));
                }
            }
            Kind::Outcomes(options) => {
                let mut outcomes = Vec::new();
                for i in 1..=outcome_count(facts) {
                    let id = format!("{name}_{i}");
                    let label = format!("the outcome of point {i}");
                    if let Some(v) = choice(&mut errors, &id, &label, options, answer(answers, &id)) {
                        outcomes.push(json!(v));
                    }
                }
                out.insert(name.to_owned(), json!(outcomes));
            }
            Kind::StaffParts => {
                let mut parts = Vec::new();
                for i in 1..=STAFF_PARTS {
                    let (ref_id, part_id) = (format!("{name}_{i}_ref"), format!("{name}_{i}_part"));
                    let (staff_ref, part) = (answer(answers, &ref_id), answer(answers, &part_id));
                    match (staff_ref.is_empty(), part.is_empty()) {
                        (true, true) => {}
                        (false, false) => parts.push(json!({ "staff_ref": staff_ref, "part": part })),
                        (true, false) => errors.push(FieldError::new(ref_id, "Enter the staff reference")),
                        (false, true) => {
                            errors.push(FieldError::new(part_id, "Enter the part of the response for them"))
                        }
                    }
                }
                out.insert(name.to_owned(), json!(parts));
            }
            Kind::Override(options) => {
                let (outcome_id, reason_id) = (format!("{name}_outcome"), format!("{name}_reason"));
                let outcome = answer(answers, &outcome_id);
                if !outcome.is_empty()
                    && let Some(v) = choice(&mut errors, &outcome_id, "the overall outcome", options, outcome)
                {
                    let reason = answer(answers, &reason_id);
                    if reason.is_empty() {
                        errors.push(FieldError::new(reason_id, "Enter why the overall outcome differs (R34)"));
                    } else {
                        out.insert(name.to_owned(), json!({ "outcome": v, "reason": reason }));
                    }
                }
            }
            Kind::Scope(channels) => {
                let scope = match value {
                    "contact" => {
                        let mut scope = json!({ "scope": "contact" });
                        let channel = answer(answers, "scope_channel");
                        if !channel.is_empty()
                            && let Some(v) =
                                choice(&mut errors, "scope_channel", "the channel allowed", channels, channel)
                        {
                            scope["allowed_channel"] = json!(v);
                        }
                        let contact = answer(answers, "scope_contact");
                        if !contact.is_empty() {
                            scope["allowed_contact"] = json!(contact);
                        }
                        Some(scope)
                    }
                    "subjects" => {
                        let subjects = answer(answers, "scope_subjects");
                        if subjects.is_empty() {
                            errors.push(FieldError::new("scope_subjects", "Enter the subjects no longer discussed"));
                            None
                        } else {
                            Some(json!({ "scope": "subjects", "subjects": subjects }))
                        }
                    }
                    "procedure-access" => Some(json!({ "scope": "procedure-access" })),
                    _ => {
                        errors.push(FieldError::new(name, "Choose what is restricted"));
                        None
                    }
                };
                if let Some(scope) = scope {
                    out.insert(name.to_owned(), scope);
                }
            }
            Kind::Child { involvement, age, format, wish } => {
                let mut record = Map::new();
                let involvement_id = format!("{name}_involvement");
                let age_id = format!("{name}_age_band");
                if let Some(v) = choice(
                    &mut errors,
                    &involvement_id,
                    "how a child is involved",
                    involvement,
                    answer(answers, &involvement_id),
                ) {
                    record.insert("involvement".to_owned(), json!(v));
                }
                if let Some(v) = choice(&mut errors, &age_id, "the age band", age, answer(answers, &age_id)) {
                    record.insert("age_band".to_owned(), json!(v));
                }
                let format_id = format!("{name}_response_format");
                let wanted = answer(answers, &format_id);
                if !wanted.is_empty()
                    && let Some(v) = choice(&mut errors, &format_id, "the response format", format, wanted)
                {
                    record.insert("response_format".to_owned(), json!(v));
                }
                let referral_id = format!("{name}_protection_referral_on");
                let referral = answer(answers, &referral_id);
                if !referral.is_empty()
                    && let Some(v) = date(&mut errors, &referral_id, "the child protection referral date", referral)
                {
                    record.insert("protection_referral_on".to_owned(), json!(v));
                }
                child_decisions(&mut errors, &mut record, name, answers, wish);
                out.insert(name.to_owned(), Json::Object(record));
            }
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// R52: whether the representative confirmed the person's consent (`{name}_consent`).
const CONSENT: [(&str, &str); 2] = [("yes", "Yes, they confirmed it"), ("no", "No")];

/// R56: whether the child has capacity to own the complaint (`{name}_capacity`).
const CAPACITY: [(&str, &str); 2] = [("yes", "They have capacity"), ("no", "They do not have capacity")];
/// R56: whether parents or carers are involved (`{name}_parents`).
const PARENTS: [(&str, &str); 2] = [("involved", "Involved"), ("not-involved", "Not involved")];
/// S3 §2.4: a parent asked that the child not be told of the complaint (`{name}_not_told`).
const NOT_TOLD: [(&str, &str); 2] = [("no", "No"), ("yes", "Yes")];

fn owned(choices: &[(&str, &str)]) -> Choices {
    choices.iter().map(|(value, words)| ((*value).to_owned(), (*words).to_owned())).collect()
}

/// The three decisions of a child's record (R56): the capacity decision, the parents' or carers'
/// involvement and the child's own decision. Each is recorded only when its choice is made; its
/// details are passed on as given (a blank "decided by" or reason is the core's to refuse, naming
/// the rule), and only their shape (a choice, a date) is checked here.
fn child_decisions(
    errors: &mut Vec<FieldError>,
    record: &mut Map<String, Json>,
    name: &str,
    answers: &Answers,
    wish: &Choices,
) {
    let id = |part: &str| format!("{name}_{part}");
    let orphaned = |errors: &mut Vec<FieldError>, choice_id: String, what: &str, details: &[&str]| {
        if details.iter().any(|part| !answer(answers, &id(part)).is_empty()) {
            errors.push(FieldError::new(choice_id, format!("Choose {what}, or leave its details blank")));
        }
    };
    let capacity_id = id("capacity");
    match answer(answers, &capacity_id) {
        "" => orphaned(errors, capacity_id, "the capacity decision", &["capacity_by", "capacity_on"]),
        given => {
            let has = choice(errors, &capacity_id, "the capacity decision", &owned(&CAPACITY), given);
            let on = required_date(errors, &id("capacity_on"), "the date of the capacity decision", answers);
            if let (Some(has), Some(on)) = (has, on) {
                let by = answer(answers, &id("capacity_by"));
                record.insert(
                    "capacity".to_owned(),
                    json!({ "has_capacity": has == "yes", "decided_by": by, "decided_on": on }),
                );
            }
        }
    }
    let parents_id = id("parents");
    match answer(answers, &parents_id) {
        "" => orphaned(
            errors,
            parents_id,
            "whether parents or carers are involved",
            &["parents_reason", "not_told", "best_interests"],
        ),
        given => {
            let not_told = answer(answers, &id("not_told"));
            let asked = if not_told.is_empty() {
                Some("no".to_owned())
            } else {
                choice(
                    errors,
                    &id("not_told"),
                    "whether a parent asked that the child not be told",
                    &owned(&NOT_TOLD),
                    not_told,
                )
            };
            let involved =
                choice(errors, &parents_id, "whether parents or carers are involved", &owned(&PARENTS), given);
            if let (Some(involved), Some(asked)) = (involved, asked) {
                let best = answer(answers, &id("best_interests"));
                record.insert(
                    "parents".to_owned(),
                    json!({
                        "involved": involved == "involved",
                        "reason": answer(answers, &id("parents_reason")),
                        "parent_asked_child_not_told": asked == "yes",
                        "best_interests_decision": (!best.is_empty()).then_some(best),
                    }),
                );
            }
        }
    }
    let decision_id = id("decision");
    match answer(answers, &decision_id) {
        "" => orphaned(errors, decision_id, "the child's decision", &["decision_on"]),
        given => {
            let wish = choice(errors, &decision_id, "the child's decision", wish, given);
            let on = required_date(errors, &id("decision_on"), "the date of the child's decision", answers);
            if let (Some(wish), Some(on)) = (wish, on) {
                record.insert("child_decision".to_owned(), json!({ "wish": wish, "on": on }));
            }
        }
    }
}

fn required_date(errors: &mut Vec<FieldError>, id: &str, label: &str, answers: &Answers) -> Option<String> {
    let value = answer(answers, id);
    if value.is_empty() {
        errors.push(FieldError::new(id, format!("Enter {label}")));
        None
    } else {
        date(errors, id, label, value)
    }
}

/// One question as the template draws it: a simple box, or a group (fieldset) of boxes.
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    pub id: String,
    /// `text`, `textarea`, `date`, `number`, `select` or `group`.
    pub kind: &'static str,
    pub label: String,
    pub hint: String,
    pub value: String,
    pub error: Option<String>,
    pub options: Vec<(String, String)>,
    pub children: Vec<FieldView>,
}

impl FieldView {
    fn simple(kind: &'static str, id: String, label: String, answers: &Answers, errors: &[FieldError]) -> Self {
        let value = answers.get(&id).cloned().unwrap_or_default();
        let error = errors.iter().find(|e| e.field == id).map(|e| e.message.clone());
        Self { id, kind, label, hint: String::new(), value, error, options: Vec::new(), children: Vec::new() }
    }

    fn select(id: String, label: String, options: Choices, answers: &Answers, errors: &[FieldError]) -> Self {
        Self { options, ..Self::simple("select", id, label, answers, errors) }
    }

    fn with_hint(mut self, hint: &str) -> Self {
        self.hint = hint.to_owned();
        self
    }

    fn group(id: &str, label: String, hint: &str, children: Vec<FieldView>) -> Self {
        let error = children.iter().find_map(|c| c.error.clone());
        Self {
            id: id.to_owned(),
            kind: "group",
            label,
            hint: hint.to_owned(),
            value: String::new(),
            error: error.filter(|_| false),
            options: Vec::new(),
            children,
        }
    }
}

fn optional_label(field: &Field) -> String {
    if field.required { field.label.to_owned() } else { format!("{} (optional)", field.label) }
}

fn with_blank(first: &str, options: &Choices) -> Choices {
    std::iter::once((String::new(), first.to_owned())).chain(options.iter().cloned()).collect()
}

/// The questions as the template draws them, with the answers so far and their problems.
#[must_use]
pub fn views(fields: &[Field], answers: &Answers, errors: &[FieldError], facts: &CaseFacts) -> Vec<FieldView> {
    fields
        .iter()
        .map(|field| {
            let name = field.name.to_owned();
            let label = optional_label(field);
            match &field.kind {
                Kind::Text => FieldView::simple("text", name, label, answers, errors).with_hint(field.hint),
                Kind::Textarea | Kind::Lines => {
                    FieldView::simple("textarea", name, label, answers, errors).with_hint(field.hint)
                }
                Kind::Date => FieldView::simple("date", name, label, answers, errors).with_hint(field.hint),
                Kind::DateTime => FieldView::simple("datetime", name, label, answers, errors).with_hint(field.hint),
                Kind::Representation => {
                    let children = vec![
                        FieldView::simple(
                            "text",
                            format!("{name}_person_affected"),
                            "The person affected".to_owned(),
                            answers,
                            errors,
                        ),
                        FieldView::simple(
                            "text",
                            format!("{name}_relationship"),
                            "Their relationship to the person".to_owned(),
                            answers,
                            errors,
                        )
                        .with_hint("For example parent, carer, MSP, advocate."),
                        FieldView::select(
                            format!("{name}_consent"),
                            "Did they confirm the person agreed to them complaining?".to_owned(),
                            with_blank("Not asked", &owned(&CONSENT)),
                            answers,
                            errors,
                        ),
                    ];
                    FieldView::group(&name, label, field.hint, children)
                }
                Kind::Index => FieldView::simple("number", name, label, answers, errors).with_hint(field.hint),
                Kind::Select(options) => {
                    FieldView::select(name, label, with_blank("Choose one", options), answers, errors)
                        .with_hint(field.hint)
                }
                Kind::OptSelect(options, none) => {
                    FieldView::select(name, label, with_blank(none, options), answers, errors).with_hint(field.hint)
                }
                Kind::Points => {
                    let children = (1..=POINTS)
                        .flat_map(|i| {
                            [
                                FieldView::simple(
                                    "textarea",
                                    format!("{name}_{i}_summary"),
                                    format!("Point {i}"),
                                    answers,
                                    errors,
                                ),
                                FieldView::simple(
                                    "text",
                                    format!("{name}_{i}_outcome"),
                                    format!("Outcome sought for point {i}"),
                                    answers,
                                    errors,
                                ),
                            ]
                        })
                        .collect();
                    FieldView::group(&name, label, field.hint, children)
                }
                Kind::Outcomes(options) => {
                    let children = (1..=outcome_count(facts))
                        .map(|i| {
                            FieldView::select(
                                format!("{name}_{i}"),
                                format!("Outcome of point {i}"),
                                with_blank("Choose one", options),
                                answers,
                                errors,
                            )
                        })
                        .collect();
                    FieldView::group(&name, label, field.hint, children)
                }
                Kind::StaffParts => {
                    let children = (1..=STAFF_PARTS)
                        .flat_map(|i| {
                            [
                                FieldView::simple(
                                    "text",
                                    format!("{name}_{i}_ref"),
                                    format!("Staff reference {i}"),
                                    answers,
                                    errors,
                                ),
                                FieldView::simple(
                                    "textarea",
                                    format!("{name}_{i}_part"),
                                    format!("The part of the response for staff member {i}"),
                                    answers,
                                    errors,
                                ),
                            ]
                        })
                        .collect();
                    FieldView::group(&name, label, field.hint, children)
                }
                Kind::Override(options) => {
                    let children = vec![
                        FieldView::select(
                            format!("{name}_outcome"),
                            "Overall outcome".to_owned(),
                            with_blank("No override: derived from the points", options),
                            answers,
                            errors,
                        ),
                        FieldView::simple(
                            "textarea",
                            format!("{name}_reason"),
                            "Why it differs".to_owned(),
                            answers,
                            errors,
                        ),
                    ];
                    FieldView::group(&name, label, field.hint, children)
                }
                Kind::Scope(channels) => {
                    let scopes: Choices = vec![
                        ("contact".to_owned(), "Contact only by one channel or through one person".to_owned()),
                        ("subjects".to_owned(), "No further contact about some subjects".to_owned()),
                        ("procedure-access".to_owned(), "Access to the complaints procedure (last resort)".to_owned()),
                    ];
                    let children = vec![
                        FieldView::select(
                            name.clone(),
                            "What is restricted".to_owned(),
                            with_blank("Choose one", &scopes),
                            answers,
                            errors,
                        ),
                        FieldView::select(
                            "scope_channel".to_owned(),
                            "Channel allowed (contact only)".to_owned(),
                            with_blank("Any channel", channels),
                            answers,
                            errors,
                        ),
                        FieldView::simple(
                            "text",
                            "scope_contact".to_owned(),
                            "Named contact (contact only)".to_owned(),
                            answers,
                            errors,
                        ),
                        FieldView::simple(
                            "text",
                            "scope_subjects".to_owned(),
                            "Subjects (subjects only)".to_owned(),
                            answers,
                            errors,
                        ),
                    ];
                    FieldView::group("scope-group", label, field.hint, children)
                }
                Kind::Child { involvement, age, format, wish } => {
                    let text =
                        |id: String, label: &str| FieldView::simple("text", id, label.to_owned(), answers, errors);
                    let area =
                        |id: String, label: &str| FieldView::simple("textarea", id, label.to_owned(), answers, errors);
                    let pick = |id: String, label: &str, none: &str, options: &Choices| {
                        FieldView::select(id, label.to_owned(), with_blank(none, options), answers, errors)
                    };
                    let day =
                        |id: String, label: &str| FieldView::simple("date", id, label.to_owned(), answers, errors);
                    let mut children = vec![
                        FieldView::select(
                            format!("{name}_involvement"),
                            "How a child is involved".to_owned(),
                            with_blank("Choose one", involvement),
                            answers,
                            errors,
                        ),
                        FieldView::select(
                            format!("{name}_age_band"),
                            "Age band".to_owned(),
                            with_blank("Choose one", age),
                            answers,
                            errors,
                        ),
                        FieldView::select(
                            format!("{name}_response_format"),
                            "Response format (optional)".to_owned(),
                            with_blank("Not chosen", format),
                            answers,
                            errors,
                        ),
                        FieldView::simple(
                            "date",
                            format!("{name}_protection_referral_on"),
                            "Child protection referral made on (optional)".to_owned(),
                            answers,
                            errors,
                        ),
                    ];
                    children.extend([
                        pick(
                            format!("{name}_capacity"),
                            "Capacity decision (optional)",
                            "Not decided yet",
                            &owned(&CAPACITY),
                        )
                        .with_hint("Whether they can make decisions about the complaint themselves."),
                        text(format!("{name}_capacity_by"), "Capacity decided by"),
                        day(format!("{name}_capacity_on"), "Capacity decided on"),
                        pick(
                            format!("{name}_parents"),
                            "Parents or carers (optional)",
                            "Not decided yet",
                            &owned(&PARENTS),
                        ),
                        area(format!("{name}_parents_reason"), "Why parents or carers are or are not involved"),
                        pick(
                            format!("{name}_not_told"),
                            "Did a parent ask that the child not be told of the complaint?",
                            "Not asked",
                            &owned(&NOT_TOLD),
                        ),
                        area(format!("{name}_best_interests"), "The best-interests decision on that request")
                            .with_hint("Needed when a parent asked that the child not be told."),
                        pick(format!("{name}_decision"), "The child's decision (optional)", "Not given yet", wish),
                        day(format!("{name}_decision_on"), "The child's decision made on"),
                    ]);
                    FieldView::group(&name, label, field.hint, children)
                }
            }
        })
        .collect()
}

/// The answers as "question: answer" lines for the check page (choices in words, blanks left out).
#[must_use]
pub fn answered(views: &[FieldView]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for view in views {
        if view.kind == "group" {
            out.extend(answered(&view.children));
            continue;
        }
        let value = view.value.trim();
        if value.is_empty() {
            continue;
        }
        let words = view.options.iter().find(|(v, _)| v == value).map_or(value, |(_, w)| w.as_str());
        out.push((view.label.clone(), words.to_owned()));
    }
    out
}
