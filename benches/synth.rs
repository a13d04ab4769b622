//! Synthetic manifest repository for the scale benchmarks (design.md, "Scale targets").
//!
//! A standalone program (std only; it does not link the telform crate):
//!
//! ```text
//! cargo run --release --example synth -- OUT_DIR [--scale 1.0] [--changed-fraction 0.0]
//! ```
//!
//! At scale 1.0 it writes 5,000 `Account`s, 1,000,000 numbers as explicit entries in 100
//! `NumberSet`s of 10,000, one `Template`, 5,000 `Customer`s, 100,000 `User`s (20 per customer)
//! and 100,000 `Device`s (one per user). Every count is multiplied by `--scale`, rounded, and at
//! least 1. The output is deterministic: the same arguments give the same bytes.
//!
//! `--changed-fraction F` alters an evenly spread fraction F of the objects of each kind
//! (account `correlationId` gets `-v2`, customer `companyName` gets ` Holdings`, a number gets a
//! `customSipHeader: changed` override, a user's `lastName` changes, a device's model becomes
//! `Yealink T57W`), so that two runs with different fractions give a "live" and a "desired"
//! repository that differ by about F.
//!
//! Files this program owns (`acg/accounts-NNNN.yaml`, `acg/numbers/set-NNNN.yaml`,
//! `webex/template.yaml`, `webex/{customers,users,devices}-NNNN.yaml`) left over from an earlier
//! run are removed first, so regenerating at a smaller scale never leaves stale duplicates.
//! Nothing else in OUT_DIR is touched.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

// Sizes at scale 1.0.
const ACCOUNTS: u64 = 5_000;
const NUMBERS: u64 = 1_000_000;
const CUSTOMERS: u64 = 5_000;
const USERS: u64 = 100_000;

// Layout (not scaled).
const ACCOUNTS_PER_FILE: u64 = 1_000;
const NUMBERS_PER_SET: u64 = 10_000;
const CUSTOMERS_PER_FILE: u64 = 1_000;
const USERS_PER_FILE: u64 = 5_000;
const DEVICES_PER_FILE: u64 = 5_000;
const USERS_PER_CUSTOMER: u64 = 20;

const TEMPLATE: &str = "us-wholesale-calling";

const USAGE: &str = "\
usage: synth OUT_DIR [--scale 1.0] [--changed-fraction 0.0]

Writes a synthetic telform manifest repository under OUT_DIR (deterministic).
At scale 1.0: 5,000 accounts, 1,000,000 numbers (100 NumberSets), 5,000 customers,
100,000 users, 100,000 devices, 1 template. Counts are multiplied by --scale.

  --scale S              multiply every count by S (> 0; rounded, at least 1)
  --changed-fraction F   alter this fraction (0.0-1.0) of every kind's objects
  -h, --help             show this help";

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("synth: {message}\n\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    match run(&args) {
        Ok(stats) => {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "synth: wrote {} files, {} documents, {} numbers, {} changed objects, {} bytes ({:.1} MiB) to {} in {:.2} s (scale {}, changed-fraction {})",
                stats.files,
                stats.documents,
                stats.numbers,
                stats.changed,
                stats.bytes,
                stats.bytes as f64 / (1024.0 * 1024.0),
                args.out.display(),
                secs,
                args.scale,
                args.changed
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("synth: error: {error}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Arguments

struct Args {
    out: PathBuf,
    scale: f64,
    changed: f64,
}

impl Args {
    /// `Ok(None)` for `--help`.
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
        let mut out = None;
        let mut scale = 1.0;
        let mut changed = 0.0;
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value.to_string())),
                _ => (arg.clone(), None),
            };
            match flag.as_str() {
                "-h" | "--help" => return Ok(None),
                "--scale" | "--changed-fraction" => {
                    let value = match inline {
                        Some(value) => value,
                        None => args.next().ok_or_else(|| format!("{flag} needs a value"))?,
                    };
                    let parsed: f64 = value
                        .trim()
                        .parse()
                        .map_err(|_| format!("{flag}: `{value}` is not a number"))?;
                    if flag == "--scale" {
                        if !parsed.is_finite() || parsed <= 0.0 {
                            return Err(format!("--scale must be a number greater than 0, not `{value}`"));
                        }
                        scale = parsed;
                    } else {
                        if !(0.0..=1.0).contains(&parsed) {
                            return Err(format!("--changed-fraction must be between 0.0 and 1.0, not `{value}`"));
                        }
                        changed = parsed;
                    }
                }
                _ if flag.starts_with('-') && flag.len() > 1 => return Err(format!("unknown option `{arg}`")),
                _ => {
                    if out.is_some() {
                        return Err(format!("unexpected argument `{arg}` (OUT_DIR already given)"));
                    }
                    out = Some(PathBuf::from(arg));
                }
            }
        }
        let out = out.ok_or("OUT_DIR is required")?;
        Ok(Some(Args { out, scale, changed }))
    }
}

// ---------------------------------------------------------------------------------------------
// Plan of the repository

/// The counts after scaling, and the change selector.
#[derive(Clone, Copy)]
struct Plan {
    accounts: u64,
    numbers: u64,
    sets: u64,
    customers: u64,
    users: u64,
    devices: u64,
    changed: Changed,
}

impl Plan {
    fn new(scale: f64, changed: f64) -> Result<Plan, String> {
        let scaled = |n: u64| -> u64 { ((n as f64) * scale).round().max(1.0) as u64 };
        let accounts = scaled(ACCOUNTS);
        let numbers = scaled(NUMBERS);
        let customers = scaled(CUSTOMERS);
        // 20 users per customer at most: extensions 1000..1019 are unique within a customer.
        let users = scaled(USERS).min(customers * USERS_PER_CUSTOMER);
        if numbers.div_ceil(NUMBERS_PER_SET) > NANP_BLOCKS {
            return Err(format!(
                "--scale {scale} asks for {numbers} numbers; at most {} fit in the North American plan",
                NANP_BLOCKS * NUMBERS_PER_SET
            ));
        }
        if users > MAC_SPACE {
            return Err(format!(
                "--scale {scale} asks for {users} devices; at most {MAC_SPACE} MAC addresses are available"
            ));
        }
        Ok(Plan {
            accounts,
            numbers,
            sets: numbers.div_ceil(NUMBERS_PER_SET),
            customers,
            users,
            devices: users,
            changed: Changed(changed),
        })
    }
}

/// Which objects `--changed-fraction` alters: object `i` (0-based, per kind) is changed when
/// `floor((i + 1) * F) > floor(i * F)`, which spreads exactly `floor(n * F)` changes evenly.
#[derive(Clone, Copy)]
struct Changed(f64);

impl Changed {
    fn is(self, i: u64) -> bool {
        if self.0 <= 0.0 {
            return false;
        }
        if self.0 >= 1.0 {
            return true;
        }
        ((i + 1) as f64 * self.0).floor() > (i as f64 * self.0).floor()
    }
}

#[derive(Default)]
struct Stats {
    files: u64,
    documents: u64,
    numbers: u64,
    changed: u64,
    bytes: u64,
}

impl Stats {
    fn add(&mut self, other: Stats) {
        self.files += other.files;
        self.documents += other.documents;
        self.numbers += other.numbers;
        self.changed += other.changed;
        self.bytes += other.bytes;
    }
}

/// An error with the path it happened on.
struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn io_error(action: &str, path: &Path, error: io::Error) -> Error {
    Error(format!("cannot {action} {}: {error}", path.display()))
}

fn run(args: &Args) -> Result<Stats, Error> {
    let plan = Plan::new(args.scale, args.changed).map_err(Error)?;
    let acg = args.out.join("acg");
    let numbers = acg.join("numbers");
    let webex = args.out.join("webex");
    for dir in [&numbers, &webex] {
        fs::create_dir_all(dir).map_err(|e| io_error("create folder", dir, e))?;
    }
    remove_stale(&acg, &["accounts-"])?;
    remove_stale(&numbers, &["set-"])?;
    remove_stale(&webex, &["customers-", "users-", "devices-", "template"])?;

    // Two cores: the numbers (the bulk of the bytes) on one, everything else on the other.
    let (number_stats, other_stats) = std::thread::scope(|scope| {
        let numbers_job = scope.spawn(|| write_number_sets(&numbers, plan));
        let others = (|| -> Result<Stats, Error> {
            let mut stats = write_accounts(&acg, plan)?;
            stats.add(write_template(&webex)?);
            stats.add(write_customers(&webex, plan)?);
            stats.add(write_users(&webex, plan)?);
            stats.add(write_devices(&webex, plan)?);
            Ok(stats)
        })();
        let numbers = numbers_job
            .join()
            .unwrap_or_else(|_| Err(Error("the number-set writer panicked".into())));
        (numbers, others)
    });
    let mut stats = other_stats?;
    stats.add(number_stats?);
    Ok(stats)
}

/// Removes the files of an earlier run: `PREFIX*.yaml` directly in `dir`.
fn remove_stale(dir: &Path, prefixes: &[&str]) -> Result<(), Error> {
    let entries = fs::read_dir(dir).map_err(|e| io_error("read folder", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error("read folder", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = name.ends_with(".yaml") && prefixes.iter().any(|p| name.starts_with(p));
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if ours && is_file {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| io_error("remove stale file", &path, e))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Output files

/// One YAML file being written.
struct Out {
    path: PathBuf,
    w: BufWriter<File>,
    bytes: u64,
    documents: u64,
}

impl Out {
    fn create(path: PathBuf) -> Result<Out, Error> {
        let file = File::create(&path).map_err(|e| io_error("create", &path, e))?;
        Ok(Out {
            w: BufWriter::with_capacity(1 << 20, file),
            path,
            bytes: 0,
            documents: 0,
        })
    }

    fn put(&mut self, args: fmt::Arguments<'_>) -> Result<(), Error> {
        // Format into the buffer through a byte counter.
        struct Counter<'a> {
            w: &'a mut BufWriter<File>,
            n: u64,
        }
        impl Write for Counter<'_> {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let n = self.w.write(buf)?;
                self.n += n as u64;
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                self.w.flush()
            }
        }
        let mut counter = Counter { w: &mut self.w, n: 0 };
        let result = counter.write_fmt(args);
        self.bytes += counter.n;
        result.map_err(|e| io_error("write", &self.path, e))
    }

    /// Starts a document: the `---` separator (between documents) and the header.
    fn doc(&mut self, kind: &str, name: fmt::Arguments<'_>) -> Result<(), Error> {
        let sep = if self.documents > 0 { "---\n" } else { "" };
        self.documents += 1;
        self.put(format_args!(
            "{sep}apiVersion: telform/v1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec:\n"
        ))
    }

    fn finish(self, stats: &mut Stats) -> Result<(), Error> {
        let Out {
            path,
            w,
            bytes,
            documents,
        } = self;
        // Flushes the buffer; dropping the file closes it.
        w.into_inner().map_err(|e| io_error("write", &path, e.into_error()))?;
        stats.files += 1;
        stats.documents += documents;
        stats.bytes += bytes;
        Ok(())
    }
}

/// Writes `count` objects in files of `per_file`, named `{prefix}{file:04}.yaml` under `dir`.
fn write_chunked(
    dir: &Path,
    prefix: &str,
    count: u64,
    per_file: u64,
    stats: &mut Stats,
    mut each: impl FnMut(&mut Out, u64, &mut Stats) -> Result<(), Error>,
) -> Result<(), Error> {
    for file in 0..count.div_ceil(per_file) {
        let mut out = Out::create(dir.join(format!("{prefix}{file:04}.yaml")))?;
        for i in file * per_file..((file + 1) * per_file).min(count) {
            each(&mut out, i, stats)?;
        }
        out.finish(stats)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Deterministic values

/// SplitMix64: a good 64-bit mix, enough for deterministic, well-spread identifiers.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A random-looking (version 4 layout) GUID derived from a domain tag and an index.
struct Guid(u64, u64);

impl Guid {
    fn new(domain: u64, index: u64) -> Guid {
        let seed = mix(domain.wrapping_mul(0x1000_0000_01B3) ^ index);
        let hi = mix(seed ^ 0x5851_F42D_4C95_7F2D);
        let lo = mix(seed ^ 0x1405_7B7E_F767_814F);
        // Version 4, RFC 4122 variant.
        let hi = (hi & !0xF000) | 0x4000;
        let lo = (lo & !(0xC000 << 48)) | (0x8000 << 48);
        Guid(hi, lo)
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Guid(hi, lo) = *self;
        write!(
            f,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        )
    }
}

const GUID_TENANT: u64 = 1;
const GUID_CIVIC: u64 = 2;
const GUID_LOCATION: u64 = 3;

/// North American numbering: NPA `[2-9][0-8][0-9]` and exchange `[2-9][0-9][0-9]`, neither an
/// N11 service code. A block is one (NPA, exchange) pair: 10,000 line numbers.
const NPAS: u64 = 8 * 9 * 10 - 8;
const EXCHANGES: u64 = 8 * 10 * 10 - 8;
const NANP_BLOCKS: u64 = NPAS * EXCHANGES;

/// The `n`th value of `[2-9]dd` (d in `0..=mid_max`, then 0-9) that is not an N11 code.
fn nanp_code(mut n: u64, mid_max: u64) -> u64 {
    // Walk the codes in order, skipping N11: under 800 steps, once per 10,000 numbers.
    let mut code = 200;
    loop {
        let mid = (code / 10) % 10;
        let last = code % 10;
        let valid = mid <= mid_max && !(mid == 1 && last == 1);
        if valid {
            if n == 0 {
                return code;
            }
            n -= 1;
        }
        code += 1;
    }
}

/// The first 7 characters (`+1NPANXX`) of the numbers of block `b`. Blocks walk the NPAs first,
/// so consecutive sets land in different area codes.
fn block_prefix(b: u64) -> String {
    let npa = nanp_code(b % NPAS, 8);
    let exchange = nanp_code(b / NPAS, 9);
    format!("+1{npa:03}{exchange:03}")
}

/// Available MACs: a few real phone-vendor OUIs times 2^24 device ids.
const OUIS: [&str; 4] = ["80:5E:C0", "24:9A:D8", "44:DB:D2", "00:15:65"];
const MAC_SPACE: u64 = (OUIS.len() as u64) << 24;

struct Mac(u64);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.0;
        let oui = OUIS[(i >> 24) as usize];
        write!(
            f,
            "{oui}:{:02X}:{:02X}:{:02X}",
            (i >> 16) & 0xFF,
            (i >> 8) & 0xFF,
            i & 0xFF
        )
    }
}

const FIRST_NAMES: [&str; 32] = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
];

const LAST_NAMES: [&str; 32] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
];

const STREETS: [&str; 8] = [
    "Main Street",
    "Oak Avenue",
    "Maple Drive",
    "Cedar Lane",
    "Park Road",
    "Elm Street",
    "Pine Court",
    "Lake Boulevard",
];

const CITIES: [(&str, &str); 8] = [
    ("New York", "10001"),
    ("Boston", "02108"),
    ("Philadelphia", "19103"),
    ("Atlanta", "30303"),
    ("Miami", "33131"),
    ("Charlotte", "28202"),
    ("Pittsburgh", "15222"),
    ("Baltimore", "21202"),
];

// ---------------------------------------------------------------------------------------------
// ACG

fn account_name(i: u64) -> String {
    format!("acct-{:06}", i + 1)
}

fn write_accounts(dir: &Path, plan: Plan) -> Result<Stats, Error> {
    let mut stats = Stats::default();
    write_chunked(
        dir,
        "accounts-",
        plan.accounts,
        ACCOUNTS_PER_FILE,
        &mut stats,
        |out, i, stats| {
            let changed = plan.changed.is(i);
            stats.changed += changed as u64;
            let suffix = if changed { "-v2" } else { "" };
            out.doc("Account", format_args!("{}", account_name(i)))?;
            out.put(format_args!(
            "  correlationId: CRM-{:06}{suffix}\n  teamsTenantId: {}\n  services:\n    operatorConnect: {{enabled: true, sync: true}}\n",
            i + 1,
            Guid::new(GUID_TENANT, i)
        ))
        },
    )?;
    Ok(stats)
}

fn write_number_sets(dir: &Path, plan: Plan) -> Result<Stats, Error> {
    let mut stats = Stats::default();
    for set in 0..plan.sets {
        let mut out = Out::create(dir.join(format!("set-{set:04}.yaml")))?;
        // Spread the sets over the accounts.
        let account = set * plan.accounts / plan.sets;
        out.doc("NumberSet", format_args!("numbers-{:04}", set + 1))?;
        out.put(format_args!(
            "  account: {}\n  service: operatorConnect\n  defaults: {{usage: user, capabilities: [inbound, outbound], civicAddressId: {}, locationId: {}, countryCode: US}}\n  numbers:\n",
            account_name(account),
            Guid::new(GUID_CIVIC, account),
            Guid::new(GUID_LOCATION, account),
        ))?;
        // One set is one block of 10,000 line numbers: +1 NPA NXX 0000..9999.
        let prefix = block_prefix(set);
        let first = set * NUMBERS_PER_SET;
        let last = (first + NUMBERS_PER_SET).min(plan.numbers);
        for k in first..last {
            let line = k - first;
            if plan.changed.is(k) {
                stats.changed += 1;
                out.put(format_args!(
                    "    - {{number: \"{prefix}{line:04}\", customSipHeader: changed}}\n"
                ))?;
            } else {
                out.put(format_args!("    - {{number: \"{prefix}{line:04}\"}}\n"))?;
            }
        }
        stats.numbers += last - first;
        out.finish(&mut stats)?;
    }
    Ok(stats)
}

// ---------------------------------------------------------------------------------------------
// Webex

fn write_template(dir: &Path) -> Result<Stats, Error> {
    let mut stats = Stats::default();
    let mut out = Out::create(dir.join("template.yaml"))?;
    out.doc("Template", format_args!("{TEMPLATE}"))?;
    out.put(format_args!(
        "  provisioningId: Y2lzY29zcGFyazovL3VzL1BST1ZJU0lPTklORy91c193aG9sZXNhbGU\n  country: US\n  language: en_US\n  subscription: Sub-100001\n  authentication: webex\n  calling: {{timezone: America/New_York, language: en_us}}\n"
    ))?;
    out.finish(&mut stats)?;
    Ok(stats)
}

/// `cust0001`: the customer's token in names and email domains.
struct Cust(u64);

impl fmt::Display for Cust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cust{:04}", self.0 + 1)
    }
}

fn external_id(c: u64) -> String {
    format!("CUST-{:06}", c + 1)
}

fn write_customers(dir: &Path, plan: Plan) -> Result<Stats, Error> {
    let mut stats = Stats::default();
    write_chunked(
        dir,
        "customers-",
        plan.customers,
        CUSTOMERS_PER_FILE,
        &mut stats,
        |out, c, stats| {
            let changed = plan.changed.is(c);
            stats.changed += changed as u64;
            let company = if changed { "Holdings" } else { "Inc" };
            let h = mix(c ^ 0xC0FFEE);
            let street = STREETS[(h % STREETS.len() as u64) as usize];
            let (city, postal) = CITIES[((h >> 8) % CITIES.len() as u64) as usize];
            let house = 1 + (h >> 16) % 9_999;
            out.doc("Customer", format_args!("{}", Cust(c)))?;
            out.put(format_args!(
            "  template: {TEMPLATE}\n  externalId: {}\n  companyName: Customer {:06} {company}\n  adminEmail: admin@{}.example\n  country: US\n  supportedLocationVerified: true\n  packages: [webex_calling, common_area_calling]\n  headquarters:\n    name: HQ\n    address: {{line1: \"{house} {street}\", city: {city}, postalCode: \"{postal}\", country: US}}\n    timezone: America/New_York\n    language: en_us\n",
            external_id(c),
            c + 1,
            Cust(c),
        ))
        },
    )?;
    Ok(stats)
}

fn write_users(dir: &Path, plan: Plan) -> Result<Stats, Error> {
    let mut stats = Stats::default();
    write_chunked(
        dir,
        "users-",
        plan.users,
        USERS_PER_FILE,
        &mut stats,
        |out, u, stats| {
            let (c, j) = (u / USERS_PER_CUSTOMER, u % USERS_PER_CUSTOMER);
            let changed = plan.changed.is(u);
            stats.changed += changed as u64;
            let h = mix(u ^ 0x05E2);
            let first = FIRST_NAMES[(h % FIRST_NAMES.len() as u64) as usize];
            let mut last_index = ((h >> 8) % LAST_NAMES.len() as u64) as usize;
            if changed {
                last_index = (last_index + 1) % LAST_NAMES.len();
            }
            let last = LAST_NAMES[last_index];
            out.doc("User", format_args!("{}-u{:02}", Cust(c), j + 1))?;
            out.put(format_args!(
            "  customer: {}\n  email: u{:02}@{}.example\n  firstName: {first}\n  lastName: {last}\n  package: webex_calling\n  location: HQ\n  extension: \"{}\"\n",
            external_id(c),
            j + 1,
            Cust(c),
            1000 + j
        ))
        },
    )?;
    Ok(stats)
}

fn write_devices(dir: &Path, plan: Plan) -> Result<Stats, Error> {
    let mut stats = Stats::default();
    write_chunked(
        dir,
        "devices-",
        plan.devices,
        DEVICES_PER_FILE,
        &mut stats,
        |out, d, stats| {
            let (c, j) = (d / USERS_PER_CUSTOMER, d % USERS_PER_CUSTOMER);
            let changed = plan.changed.is(d);
            stats.changed += changed as u64;
            let model = if changed { "Yealink T57W" } else { "Yealink T54W" };
            out.doc("Device", format_args!("{}-u{:02}-phone", Cust(c), j + 1))?;
            out.put(format_args!(
            "  customer: {}\n  mac: \"{}\"\n  model: {model}\n  owner: {{user: u{:02}@{}.example}}\n  sipPassword: {{generate: true}}\n",
            external_id(c),
            Mac(d),
            j + 1,
            Cust(c),
        ))
        },
    )?;
    Ok(stats)
}
