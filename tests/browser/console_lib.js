// What the browser tests share: Chromium's flags, checks that print what
// they verified, signing in with the keyboard, screenshots at 375 and 1440
// px (with the check that nothing runs off a phone's screen), staging an
// edit in the JSON editor.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function check(ok, what) {
  if (!ok) throw new Error('check failed: ' + what);
  console.log('ok: ' + what);
}

async function signIn(page, url, user, password) {
  await page.goto(url + '/console');
  check(page.url().includes('/console/login'), 'an anonymous visit is sent to sign in');
  await page.locator('#username').focus();
  await page.keyboard.type(user);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/console');
}

async function shoot(page, out, name) {
  for (const width of [375, 1440]) {
    await page.setViewportSize({ width, height: width === 375 ? 800 : 900 });
    await page.screenshot({ path: `${out}/${name}-${width}.png`, fullPage: true });
    if (width === 375) {
      // Nothing runs off a phone's screen: every table (and the page) fits.
      const wide = await page.evaluate(() => [...document.querySelectorAll('table')]
        .filter((t) => t.getBoundingClientRect().right > window.innerWidth + 1)
        .map((t) => t.id || t.className));
      check(wide.length === 0, `${name}: every table fits 375 px [${wide.join(', ')}]`);
      const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      check(pageWidth <= 376, `${name}: the page fits 375 px (${pageWidth})`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function stage(page, key, value) {
  const existing = page.locator(`button[data-edit="${key}"]`);
  if (await existing.count()) await existing.click(); else await page.click('#new-record');
  if (!(await existing.count())) await page.fill('#edit-key', key);
  await page.fill('#edit-value', value);
  await page.click('#stage');
}

module.exports = { check, signIn, shoot, stage, ARGS };
