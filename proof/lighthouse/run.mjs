// One Lighthouse run in a Chromium that holds the session cookie itself (so the page's own
// requests are signed in too): node run.mjs <url> <report.json> <mobile|desktop> [name value]
import { writeFileSync } from "node:fs";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import puppeteer from "puppeteer-core";

const [url, report, preset, cookieName, cookieValue] = process.argv.slice(2);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu"],
});
try {
  const page = await browser.newPage();
  if (cookieName) await page.setCookie({ name: cookieName, value: cookieValue, url });
  const flags = {
    output: "json",
    logLevel: "error",
    onlyCategories: ["performance", "accessibility", "best-practices"],
  };
  const result = await lighthouse(url, flags, preset === "desktop" ? desktopConfig : undefined, page);
  writeFileSync(report, result.report);
} finally {
  await browser.close();
}
