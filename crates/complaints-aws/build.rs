//! Picks the Amazon Trust Services roots (`src/names.rs`) out of Mozilla's list at build time and
//! writes them to `OUT_DIR`, as DER and as one PEM bundle (what the SDK client's `TrustStore`
//! takes), so the library carries five certificates instead of the whole list.
//! A name that is not in the list fails the build.

use std::fmt::Write as _;

use base64::Engine as _;
use std::path::PathBuf;

#[path = "src/names.rs"]
mod names;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut pem = String::new();
    let mut code = String::from("/// The DER of each root in [`AMAZON_ROOT_NAMES`], written by `build.rs`.\n");
    let _ = writeln!(code, "const AMAZON_ROOTS_DER: [&[u8]; {}] = [", names::AMAZON_ROOT_NAMES.len());
    for (i, name) in names::AMAZON_ROOT_NAMES.iter().enumerate() {
        let found: Vec<&[u8]> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter(|cert| {
                webpki::anchor_from_trusted_cert(cert)
                    .is_ok_and(|anchor| names::has_common_name(anchor.subject.as_ref(), name))
            })
            .map(|cert| cert.as_ref())
            .collect();
        let [der] = found.as_slice() else {
            panic!("webpki-root-certs holds {} certificates named {name:?}; exactly one is needed", found.len());
        };
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        let encoded = base64::engine::general_purpose::STANDARD.encode(der);
        for line in encoded.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        let file = format!("amazon-root-{i}.der");
        std::fs::write(out.join(&file), der).expect("write to OUT_DIR");
        let _ = writeln!(code, "    include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{file}\")),");
    }
    code.push_str("];\n");
    std::fs::write(out.join("amazon-roots.pem"), pem).expect("write to OUT_DIR");
    code.push_str("/// The same roots as one PEM bundle, written by `build.rs`.\n");
    code.push_str("const AMAZON_ROOTS_PEM: &str = include_str!(concat!(env!(\"OUT_DIR\"), \"/amazon-roots.pem\"));\n");
    std::fs::write(out.join("amazon_roots.rs"), code).expect("write to OUT_DIR");
    println!("cargo::rerun-if-changed=src/names.rs");
}
