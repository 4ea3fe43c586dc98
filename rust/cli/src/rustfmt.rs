//! The last step of `migz gen --rust`: the Rust writer lays its file out with
//! `prettyplease`, and when `rustfmt` is at hand (`$RUSTFMT`, else on `PATH`) the file is
//! passed through it too, so that it passes `rustfmt --check` in the user's project.
//! rustfmt runs with a configuration of our own (edition 2024, defaults otherwise), not
//! one it would find around the working directory or in the user's home.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A rustfmt found once per run, with the directory holding its configuration.
pub struct Rustfmt {
    program: PathBuf,
    config: PathBuf,
}

impl Rustfmt {
    /// rustfmt, if `$RUSTFMT` or `rustfmt` answers `--version`; `Err` says why not.
    pub fn find() -> Result<Rustfmt, String> {
        let program = std::env::var_os("RUSTFMT").map_or_else(|| "rustfmt".into(), PathBuf::from);
        let version = Command::new(&program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{} does not run: {e}", program.display()))?;
        if !version.status.success() {
            return Err(format!("{} --version failed", program.display()));
        }
        let config = std::env::temp_dir().join(format!("migz-rustfmt-{}", std::process::id()));
        std::fs::create_dir_all(&config)
            .and_then(|()| std::fs::write(config.join("rustfmt.toml"), "edition = \"2024\"\n"))
            .map_err(|e| format!("cannot write its configuration: {e}"))?;
        Ok(Rustfmt { program, config })
    }

    /// The text as rustfmt formats it, or why it could not.
    pub fn format(&self, text: &str) -> Result<String, String> {
        let mut child = Command::new(&self.program)
            .arg("--config-path")
            .arg(&self.config)
            .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
            .current_dir(&self.config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{} does not run: {e}", self.program.display()))?;
        // Written from another thread: rustfmt may answer before it has read everything.
        let mut stdin = child.stdin.take().ok_or("rustfmt has no standard input")?;
        let input = text.to_string();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let out = child
            .wait_with_output()
            .map_err(|e| format!("rustfmt failed: {e}"))?;
        let written = writer
            .join()
            .map_err(|_| "writing to rustfmt failed".to_string())?;
        if !out.status.success() {
            return Err(format!(
                "rustfmt failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        written.map_err(|e| format!("writing to rustfmt failed: {e}"))?;
        String::from_utf8(out.stdout).map_err(|_| "rustfmt wrote text that is not UTF-8".into())
    }
}

impl Drop for Rustfmt {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.config);
    }
}
