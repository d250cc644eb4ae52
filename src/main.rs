fn main() -> std::process::ExitCode {
    runnerc::cli::main()
}
