// Drives the method browser (GET /RPC) in headless Chromium: fills the
// records.get form, clicks Call, prints what the page shows.
//   NODE_PATH=.../node_modules node try_it.js URL KEY_JSON
const { chromium } = require('playwright-core');

(async () => {
  const [url, key] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    const form = page.locator('form[data-method="records.get"]');
    await form.locator('input[name="key"]').fill(key);
    await form.locator('button').click();
    await page.waitForFunction(
      () => document.querySelector('section[id="records.get"] pre.out').textContent.length > 0);
    console.log(await page.locator('section[id="records.get"] pre.out').textContent());
  } finally {
    await browser.close();
  }
})().catch(e => { console.error(e); process.exit(1); });
