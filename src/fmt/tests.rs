use super::*;

fn fmt(text: &str) -> String {
    match format(text, FileKind::Manifests) {
        Ok(out) => out,
        Err(refusal) => panic!("refused: {refusal:?}\n{text}"),
    }
}

/// Formats, and checks that formatting again changes nothing.
fn canonical(text: &str) -> String {
    let once = fmt(text);
    assert_eq!(fmt(&once), once, "not idempotent; first pass:\n{once}");
    once
}

const HEAD: &str = "apiVersion: telform/v1\nkind: NumberSet\nmetadata: {name: s}\nspec:\n";

#[test]
fn keys_move_with_their_comments() {
    let text = "# header\napiVersion: telform/v1\nkind: Account\nmetadata:\n  name: a\nspec:\n  # protect it\n  protect: true\n\n  # the CRM id\n  correlationId: CRM-1\n  services:\n    zoom: {sync: false, enabled: true}  # trailing\n    # deeper note\n  prune: false\n";
    let out = canonical(text);
    assert_eq!(
        out,
        "# header\napiVersion: telform/v1\nkind: Account\nmetadata:\n  name: a\nspec:\n  # the CRM id\n  correlationId: CRM-1\n\n  services:\n    zoom: {enabled: true, sync: false}  # trailing\n    # deeper note\n  prune: false\n  # protect it\n  protect: true\n"
    );
}

#[test]
fn document_envelope_is_ordered_and_the_header_stays() {
    let text = "# file header\n\n# about the doc\nkind: Consent\napiVersion: telform/v1\nspec:\n  relationship: agreementSigned\n  tenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90\nmetadata: {name: c}\n";
    let out = canonical(text);
    assert_eq!(
        out,
        "# file header\n\n# about the doc\napiVersion: telform/v1\nkind: Consent\nmetadata: {name: c}\nspec:\n  tenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90\n  relationship: agreementSigned\n"
    );
}

#[test]
fn list_item_keys_keep_the_dash_on_the_first_line() {
    let text = format!(
        "{HEAD}  account: a\n  service: operatorConnect\n  numbers:\n    - usage: user\n      # the number\n      number: \"+14255550100\"\n    - {{usage: user, number: \"+14255550101\"}}\n"
    );
    let out = canonical(&text);
    assert_eq!(
        out,
        format!(
            "{HEAD}  account: a\n  service: operatorConnect\n  numbers:\n      # the number\n    - number: \"+14255550100\"\n      usage: user\n    - {{number: \"+14255550101\", usage: user}}\n"
        )
    );
}

#[test]
fn numbers_are_sorted_with_their_comments() {
    let text = "apiVersion: telform/v1\nkind: Location\nmetadata: {name: l}\nspec:\n  customer: C\n  name: Lyon\n  address: {line1: x, city: Lyon, country: FR}\n  timezone: Europe/Paris\n  language: fr_fr\n  announcementLanguage: fr_fr\n  numbers:\n    - \"+33465710102\"   # spare\n    # Jeanne\n    - \"+33465710100\"\n    - \"+33465710101\"\n";
    let out = canonical(text);
    assert!(
        out.ends_with("  numbers:\n    # Jeanne\n    - \"+33465710100\"\n    - \"+33465710101\"\n    - \"+33465710102\"   # spare\n"),
        "{out}"
    );
    let flow = text.replace(
        "  numbers:\n    - \"+33465710102\"   # spare\n    # Jeanne\n    - \"+33465710100\"\n    - \"+33465710101\"\n",
        "  numbers: ['+33465710201', \"+33465710200\"]\n",
    );
    assert!(canonical(&flow).ends_with("  numbers: [\"+33465710200\", '+33465710201']\n"));
}

#[test]
fn contiguous_numbers_merge_into_ranges() {
    let text = format!(
        "{HEAD}  account: a\n  service: zoom\n  ranges:\n    - {{from: \"+14255550100\", to: \"+14255550199\"}}\n  numbers:\n    - number: \"+14255550200\"\n    - {{number: \"+14255550300\"}}\n    - {{number: \"+14255550301\"}}\n    - number: \"+14255550500\"   # keep: commented\n    - number: \"+14255550501\"\n    - number: \"+14255550201\"\n      customSipHeader: x\n"
    );
    let out = canonical(&text);
    assert_eq!(
        out,
        format!(
            "{HEAD}  account: a\n  service: zoom\n  ranges:\n    - {{from: \"+14255550100\", to: \"+14255550200\"}}\n    - {{from: \"+14255550300\", to: \"+14255550301\"}}\n  numbers:\n    - number: \"+14255550201\"\n      customSipHeader: x\n    - number: \"+14255550500\"   # keep: commented\n    - number: \"+14255550501\"\n"
        )
    );
}

#[test]
fn merging_every_number_creates_ranges_and_drops_numbers() {
    let text = format!(
        "{HEAD}  account: a\n  service: zoom\n  numbers:\n  - number: \"+14255550101\"\n  - number: \"+14255550100\"\n  ensure: present\n"
    );
    assert_eq!(
        canonical(&text),
        format!(
            "{HEAD}  account: a\n  service: zoom\n  ranges:\n  - {{from: \"+14255550100\", to: \"+14255550101\"}}\n  ensure: present\n"
        )
    );
    // A comment on `numbers` keeps the list (and its numbers) where it is.
    let commented = text.replace("  numbers:\n", "  # ours\n  numbers:\n");
    assert_eq!(
        canonical(&commented),
        commented.replace(
            "  - number: \"+14255550101\"\n  - number: \"+14255550100\"\n",
            "  - number: \"+14255550100\"\n  - number: \"+14255550101\"\n"
        )
    );
}

#[test]
fn merge_respects_the_largest_range() {
    let text = format!(
        "{HEAD}  account: a\n  service: zoom\n  ranges:\n    - {{from: \"+14255500000\", to: \"+14255599999\"}}\n  numbers:\n    - number: \"+14255600000\"\n"
    );
    assert_eq!(canonical(&text), text);
}

#[test]
fn settings_follow_their_struct() {
    let text = "# settings\napply:\n  maxDeletes: 5\n  concurrency: 2\nacg:\n  tokenUrl: https://t\n  url: https://u\n";
    let out = format(text, FileKind::Settings).expect("formats");
    assert_eq!(
        out,
        "# settings\nacg:\n  url: https://u\n  tokenUrl: https://t\napply:\n  concurrency: 2\n  maxDeletes: 5\n"
    );
    // The same text as a manifest file holds no kind: left alone.
    assert_eq!(fmt(text), text);
}

#[test]
fn several_documents_and_crlf() {
    let text = "kind: Template\napiVersion: telform/v1\nmetadata: {name: t}\nspec: {country: FR, provisioningId: p, language: fr_FR, subscription: s, authentication: sso, calling: {language: fr_fr, timezone: Europe/Paris}}\n---\n# second\nmetadata: {name: c}\nkind: Consent\napiVersion: telform/v1\nspec: {tenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90, relationship: agreementSigned}";
    let out = canonical(text);
    assert_eq!(
        out,
        "apiVersion: telform/v1\nkind: Template\nmetadata: {name: t}\nspec: {provisioningId: p, country: FR, language: fr_FR, subscription: s, authentication: sso, calling: {timezone: Europe/Paris, language: fr_fr}}\n---\n# second\napiVersion: telform/v1\nkind: Consent\nmetadata: {name: c}\nspec: {tenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90, relationship: agreementSigned}\n"
    );
    let crlf = text.replace('\n', "\r\n");
    assert_eq!(canonical(&crlf), out.replace('\n', "\r\n"));
}

#[test]
fn block_scalars_are_content() {
    let text = "apiVersion: telform/v1\nkind: Consent\nmetadata: {name: c}\nspec:\n  reason: |\n    # not a comment\n\n    second paragraph\n  relationship: consentDeclined\n  tenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90\n";
    assert_eq!(
        canonical(text),
        "apiVersion: telform/v1\nkind: Consent\nmetadata: {name: c}\nspec:\n  tenantId: 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90\n  relationship: consentDeclined\n  reason: |\n    # not a comment\n\n    second paragraph\n"
    );
}

#[test]
fn a_comment_inside_a_flow_mapping_to_reorder_is_refused() {
    let text = "apiVersion: telform/v1\nkind: Account\nmetadata: {name: a}\nspec:\n  services:\n    zoom: {sync: true,  # why\n           enabled: true}\n";
    let refusal = format(text, FileKind::Manifests).expect_err("refused");
    assert_eq!((refusal.line, refusal.column), (6, 11), "{refusal:?}");
    assert!(refusal.hint.contains("block style"), "{refusal:?}");
    // In order already: nothing to move, nothing refused.
    let ordered = text.replace(
        "{sync: true,  # why\n           enabled: true}",
        "{enabled: true,  # why\n           sync: true}",
    );
    assert_eq!(fmt(&ordered), ordered);
}

#[test]
fn labels_keep_their_order() {
    let text =
        "apiVersion: telform/v1\nkind: Account\nmetadata:\n  labels:\n    zone: b\n    area: a\n  name: a\nspec: {}\n";
    assert_eq!(
        canonical(text),
        "apiVersion: telform/v1\nkind: Account\nmetadata:\n  name: a\n  labels:\n    zone: b\n    area: a\nspec: {}\n"
    );
}
