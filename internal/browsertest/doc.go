// Package browsertest drives Varsel's HTML pages in a real headless
// Chromium, the way a person uses them: JavaScript off, real forms, real
// multipart uploads and real cookies. It holds tests only.
//
// The tests need a Chromium binary: $VARSEL_CHROMIUM, or chromium,
// chromium-browser, google-chrome or headless-shell on $PATH. Without one
// they skip, unless VARSEL_REQUIRE_CHROMIUM=1 is set, in which case they
// fail. Set VARSEL_SCREENSHOT_DIR to keep screenshots of the pages.
package browsertest
