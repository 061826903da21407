//! The `spinn` binary: parses the command line and reports errors; the work is in the library.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Err(err) = spinn_cli::run(args, &mut std::io::stdout()) {
        eprintln!("error: {}", spinn_cli::error_line(&err));
        std::process::exit(1);
    }
}
