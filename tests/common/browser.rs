//! A headless Chromium for the tests that look at a page: find it, take a screenshot, read
//! its pixels. Without Chromium a screenshot is `None` (the caller prints a line and skips)
//! unless `CI` is set, where it panics: CI installs the Debian package `chromium`.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The browser to use: `$CHROMIUM`, else the first of the usual names on `PATH`.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The browser, or `None` (with a printed line) if none is installed and this is not CI.
fn browser_or_skip() -> Option<PathBuf> {
    let browser = chromium();
    if browser.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but no Chromium was found (install the Debian package `chromium` or set CHROMIUM)"
        );
        println!("skipping the browser check: no chromium on PATH (set CHROMIUM=/path/to/chromium)");
    }
    browser
}

/// Runs headless Chromium on `file://HTML#HASH` with `args`; returns its stdout and stderr
/// (the page's console messages are logged to stderr as `:CONSOLE` lines).
fn run_browser(browser: &Path, html: &Path, hash: &str, profile: &Path, args: &[String]) -> (String, String) {
    let mut url = format!("file://{}", html.display()).replace(' ', "%20");
    if !hash.is_empty() {
        url = format!("{url}#{hash}");
    }
    let dir = profile.with_extension("io");
    std::fs::create_dir_all(&dir).unwrap();
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--force-color-profile=srgb",
            "--window-size=1280,2400",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .args(args)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(&url)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let start = Instant::now();
    loop {
        match child.try_wait().expect("waiting for chromium") {
            Some(status) => {
                assert!(status.success(), "{} exited with {status}", browser.display());
                break;
            }
            None if start.elapsed() > Duration::from_secs(180) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{} did not finish in 180 s", browser.display());
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).to_string();
    (read(&out), read(&err))
}

/// A screenshot of the page (1280 × 2400 CSS pixels at scale 1), or `None` if no browser is
/// installed and this is not CI.
pub fn screenshot(html: &Path, png: &Path, profile: &Path) -> Option<Image> {
    screenshot_at(html, "", png, profile)
}

/// A screenshot of `HTML#HASH` (the report's viewer reads its start-up state from the hash).
pub fn screenshot_at(html: &Path, hash: &str, png: &Path, profile: &Path) -> Option<Image> {
    let browser = browser_or_skip()?;
    let _ = std::fs::remove_file(png);
    run_browser(
        &browser,
        html,
        hash,
        profile,
        &[format!("--screenshot={}", png.display())],
    );
    Some(Image::decode(png))
}

/// The page's DOM after its scripts ran at `HTML#HASH`, and the console messages it logged
/// (`:CONSOLE` lines of Chromium's log); `None` without a browser outside CI.
pub fn dom_at(html: &Path, hash: &str, profile: &Path) -> Option<(String, Vec<String>)> {
    let browser = browser_or_skip()?;
    let (dom, log) = run_browser(&browser, html, hash, profile, &["--dump-dom".to_string()]);
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    Some((dom, console))
}

/// An RGB(A) screenshot.
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub channels: usize,
    pub data: Vec<u8>,
}

impl Image {
    pub fn decode(path: &Path) -> Image {
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut decoder = png::Decoder::new(BufReader::new(file));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut data = vec![0; reader.output_buffer_size().expect("a PNG that fits in memory")];
        let info = reader.next_frame(&mut data).expect("a PNG frame");
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("unexpected screenshot colour type {other:?}"),
        };
        data.truncate(info.buffer_size());
        Image {
            width: info.width as usize,
            height: info.height as usize,
            channels,
            data,
        }
    }

    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * self.channels;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// The bounding box (x0, y0, x1, y1), exclusive ends, of the pixels of `colour`.
    pub fn bbox(&self, colour: [u8; 3]) -> Option<(usize, usize, usize, usize)> {
        let mut b: Option<(usize, usize, usize, usize)> = None;
        for y in 0..self.height {
            for x in 0..self.width {
                if near(self.pixel(x, y), colour) {
                    b = Some(match b {
                        None => (x, y, x + 1, y + 1),
                        Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1)),
                    });
                }
            }
        }
        b
    }

    /// How many pixels of the region are `colour` (±3 per channel).
    pub fn count(&self, (x0, y0, x1, y1): (usize, usize, usize, usize), colour: [u8; 3]) -> usize {
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| near(self.pixel(x, y), colour))
            .count()
    }
}

pub fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(&b).all(|(x, y)| x.abs_diff(*y) <= 3)
}
