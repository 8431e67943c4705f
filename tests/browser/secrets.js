// A secret namespace in headless Chromium (playwright-core): the records
// are listed by key and size, never by value; the recipient and its grants
// are shown; a value staged in the editor is sealed in the browser at
// publish (age-encryption), so no request the page sends carries it.
// Screenshots at 375 and 1440 px go to OUTDIR.
//   NODE_PATH=.../node_modules node secrets.js URL OUTDIR WRITER:PW
const { chromium } = require('playwright-core');
const { check, signIn, shoot, stage, ARGS } = require('./console_lib.js');

async function main(url, out, writer) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(60000);
    const page = await ctx.newPage();
    const sent = [];
    page.on('request', (r) => { const body = r.postData(); if (body) sent.push(decodeURIComponent(body.replace(/\+/g, ' '))); });
    await signIn(page, url, ...writer.split(':'));
    await page.goto(url + '/console/ns/vault');
    check((await page.textContent('#recipient')).startsWith('age1'), 'the recipient is shown');
    check((await page.locator('#grants tbody tr').count()) === 1, 'its one grant is listed');
    check((await page.textContent('#records')).includes('sealed ·'), 'values are listed by size');
    check(!(await page.content()).includes('BEGIN AGE'), 'no ciphertext in the page');
    check((await page.locator('#schema-card').count()) === 0, 'no schema form');
    await shoot(page, out, 'secrets');

    await stage(page, 'browser', '"browser-MARKER-1"');
    await page.waitForSelector('#staged-card:not([hidden])');
    await page.click('#publish-button');
    await page.waitForURL(/published=/);
    check(sent.some((b) => b.includes('BEGIN AGE ENCRYPTED FILE')), 'the value was sent sealed');
    check(sent.every((b) => !b.includes('browser-MARKER')), 'the plaintext never left the browser');
    check((await page.locator('tr[data-key="browser"]').count()) === 1, 'the sealed value is listed');
  } finally {
    await browser.close();
  }
}

const [url, out, writer] = process.argv.slice(2);
main(url, out, writer).catch((e) => { console.error(e); process.exit(1); });
