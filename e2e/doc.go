// Package e2e holds end-to-end tests that drive a whole Switchboard server
// from the outside, some of them through a real headless browser.
package e2e
