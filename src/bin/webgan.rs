//! The `webgan` command: see `webgan --help`. All logic lives in the library (`webgan::cli`).

fn main() {
    std::process::exit(webgan::cli::main());
}
