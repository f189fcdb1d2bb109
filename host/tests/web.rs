//! The web chat page, for real: the server runs, Debian's Chromium is driven
//! headless through ChromeDriver (the W3C WebDriver protocol), a customer
//! asks where their order is, and the test watches the reply stream in and
//! the trace appear, then saves a screenshot under the test output folder.
//!
//! Needs `chromium` and `chromium-driver` (`.ci/run` installs them).

mod common;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::http::Request;
use common::server::TestServer;
use serde_json::{Value, json};

/// A ChromeDriver process; killed when dropped.
struct Driver {
    process: Child,
    address: SocketAddr,
}

impl Driver {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "running chromedriver: install it (apt-get install chromium-driver); .ci/run does",
            );
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while std::net::TcpStream::connect(address).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { process, address }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let mut request = Request::new(method, path);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send(self.address);
        let value = response.json();
        assert_eq!(response.status, 200, "webdriver {method} {path}: {value}");
        value["value"].clone()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// One browser session.
struct Browser<'a> {
    driver: &'a Driver,
    session: String,
}

impl<'a> Browser<'a> {
    fn open(driver: &'a Driver, width: u32, height: u32) -> Self {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},{height}")]
            }
        }}});
        let value = driver.call("POST", "/session", Some(capabilities));
        Browser {
            driver,
            session: value["sessionId"]
                .as_str()
                .expect("a session id")
                .to_string(),
        }
    }

    fn path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    fn go(&self, url: &str) {
        self.driver
            .call("POST", &self.path("/url"), Some(json!({"url": url})));
    }

    /// Runs `script` (a function body) in the page.
    fn run(&self, script: &str) -> Value {
        self.driver.call(
            "POST",
            &self.path("/execute/sync"),
            Some(json!({"script": script, "args": []})),
        )
    }

    fn element(&self, css: &str) -> String {
        let value = self.driver.call(
            "POST",
            &self.path("/element"),
            Some(json!({"using": "css selector", "value": css})),
        );
        value["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {value}"))
            .to_string()
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css);
        self.driver.call(
            "POST",
            &self.path(&format!("/element/{element}/value")),
            Some(json!({"text": text})),
        );
    }

    /// Waits until `script` returns something truthy; returns it.
    fn wait_for(&self, what: &str, script: &str) -> Value {
        let started = Instant::now();
        loop {
            let value = self.run(script);
            if !(value.is_null() || value == json!(false)) {
                return value;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn screenshot(&self, file: &Path) {
        let data = self.driver.call("GET", &self.path("/screenshot"), None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("base64"))
            .expect("a PNG");
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, png).unwrap();
    }
}

impl Drop for Browser<'_> {
    fn drop(&mut self) {
        let _ = Request::new("DELETE", &self.path("")).send(self.driver.address);
    }
}

fn output_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("web")
}

#[test]
fn the_page_streams_a_reply_shows_its_trace_and_fits_a_narrow_window() {
    let server = TestServer::start();
    let driver = Driver::start();
    let browser = Browser::open(&driver, 1360, 900);
    browser.go(&server.url("/?key=demo-C001"));
    browser.wait_for(
        "the page to log in",
        "return document.querySelector('#whoami').textContent.includes('Ana Souza');",
    );
    browser.wait_for("the policy panel", "return document.querySelector('#policy-body').textContent.includes('cancellation-window');");
    // Keyboard only: type, then Enter sends.
    browser.type_into("#message", "where is my order 1006?\u{E007}");
    browser.wait_for(
        "reply text to stream in",
        "const m = [...document.querySelectorAll('#messages li.message.assistant')].pop(); \
         return m && Number(m.dataset.tokens) > 0 && m.querySelector('.text').textContent.length > 0;",
    );
    browser.wait_for(
        "a trace entry to appear",
        "return document.querySelectorAll('#trace-entries .trace-entry tr.step').length > 0;",
    );
    let done = browser.wait_for(
        "the turn to finish",
        "const m = [...document.querySelectorAll('#messages li.message.assistant')].pop(); \
         return m && m.dataset.done === 'true' && {tokens: Number(m.dataset.tokens), text: m.querySelector('.text').textContent, \
           steps: [...document.querySelectorAll('#trace-entries .trace-entry tr.step')].map(r => r.dataset.kind), \
           trace: document.querySelector('#trace-entries').textContent};",
    );
    let text = done["text"].as_str().unwrap();
    assert!(
        text.contains("1006") && text.to_lowercase().contains("shipped"),
        "{done}"
    );
    assert!(
        done["tokens"].as_u64().unwrap() >= 2,
        "the reply arrived in pieces: {done}"
    );
    let steps: Vec<&str> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        steps.contains(&"route") && steps.contains(&"tool"),
        "{steps:?}"
    );
    assert!(
        done["trace"].as_str().unwrap().contains("track_order"),
        "{done}"
    );
    browser.wait_for(
        "the conversation to be listed",
        "return document.querySelectorAll('#conversation-list button.conversation').length === 1;",
    );
    // The reply can be rated.
    browser
        .run("document.querySelector('#messages li.message.assistant button.thumb-up').click();");
    browser.wait_for(
        "the feedback to be recorded",
        "return [...document.querySelectorAll('#messages li.message.assistant')].pop().dataset.feedback === '1';",
    );
    browser.screenshot(&output_dir().join("chat.png"));

    // A narrow window: everything stacks, nothing scrolls sideways.
    let narrow = Browser::open(&driver, 400, 860);
    narrow.go(&server.url("/?key=demo-C001"));
    narrow.wait_for(
        "the page to log in",
        "return document.querySelector('#whoami').textContent.includes('Ana Souza');",
    );
    narrow.wait_for(
        "the conversation list",
        "return document.querySelectorAll('#conversation-list button.conversation').length === 1;",
    );
    narrow.run("document.querySelector('#conversation-list button.conversation').click();");
    narrow.wait_for(
        "the history to load",
        "return document.querySelectorAll('#messages li.message').length === 2;",
    );
    let overflow = narrow.run("return document.documentElement.scrollWidth - window.innerWidth;");
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "the page scrolls sideways by {overflow} px at 400 px wide"
    );
    narrow.screenshot(&output_dir().join("chat-narrow.png"));
    eprintln!("screenshots in {}", output_dir().display());
}
