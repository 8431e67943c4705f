// Drives review before publish in headless Chromium (playwright-core): a
// writer proposes staged edits, an import and a rollback where the
// namespace requires a review; an administrator sees the count, reviews
// the diff and approves; the writer publishes; history shows the approver;
// the administrator breaks the glass with a reason; a request is
// withdrawn. Then (mode webhooks) the delivery log and a redelivery.
// Screenshots at 375 and 1440 px go to OUTDIR.
//   NODE_PATH=.../node_modules node reviews.js reviews URL OUTDIR ADMIN:PW WRITER:PW
//   NODE_PATH=.../node_modules node reviews.js webhooks URL OUTDIR ADMIN:PW
const { chromium } = require('playwright-core');
const { check, signIn, shoot, stage, ARGS } = require('./console_lib.js');

async function context(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  ctx.setDefaultTimeout(60000);
  return ctx.newPage();
}

async function reviews(url, out, admin, writer) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const w = await context(browser);
    await signIn(w, url, ...writer.split(':'));
    await w.goto(url + '/console/ns/geo');
    check((await w.textContent('#review-policy')).includes('1 approving review'), 'the namespace states its policy');
    await stage(w, 'fr', '{"name": "France"}');
    await w.waitForSelector('#staged-card:not([hidden])');
    check(await w.locator('#publish-button').isHidden(), 'no direct publish where reviews are required');
    await w.fill('#comment', 'add fr');
    await w.click('#propose-button');
    await w.waitForURL(/\/console\/reviews\/\d+/);
    check((await w.textContent('.notice.ok')).includes('Proposed for review'), 'staged edits proposed');
    check((await w.locator('#approve').count()) === 0, 'its author cannot review it');
    const first = w.url().split('?')[0];

    const a = await context(browser);
    await signIn(a, url, ...admin.split(':'));
    check((await a.textContent('#nav-reviews')).includes('(1)'), 'the navigation counts the open request');
    await a.goto(url + '/console/reviews');
    check((await a.locator('tr[data-request]').count()) === 1, 'the open request is listed');
    await shoot(a, out, 'reviews');
    await a.click('tr[data-request] a');
    await a.waitForURL(/\/console\/reviews\/\d+/);
    check((await a.textContent('#request-diff tr[data-key="fr"]')).includes('France'), 'the diff shows the proposed value');
    await shoot(a, out, 'review');
    await a.fill('#review-comment', 'looks right');
    await a.click('#approve');
    await a.waitForURL(/notice=/);
    check((await a.textContent('#reviews')).includes('looks right'), 'the approval and its comment are shown');

    await w.goto(first);
    await w.click('#publish-request');
    await w.waitForURL(/notice=/);
    check((await w.textContent('.notice.ok')).includes('Published at revision'), 'published once approved');
    await a.goto(url + '/console/ns/geo/history');
    check((await a.textContent('table')).includes('approved by admin'), 'history shows who approved');
    await shoot(a, out, 'history-reviewed');

    // An import, proposed from its dry run; the administrator breaks the glass.
    await w.goto(url + '/console/ns/geo');
    await w.click('#transfer-card summary');
    await w.fill('#import-data', '{"es": {"name": "Spain"}}');
    await w.selectOption('#import-format', 'json');
    await w.click('#import button.primary');
    await w.waitForURL(/\/import$/);
    await w.fill('#import-comment', 'import es');
    await w.click('#propose-import');
    await w.waitForURL(/\/console\/reviews\/\d+/);
    check((await w.textContent('.notice.ok')).includes('Proposed for review'), 'an import proposed');
    await a.goto(w.url().split('?')[0]);
    await a.fill('#break-glass-reason', 'pager: eu down');
    await a.click('#publish-break-glass');
    await a.waitForURL(/notice=/);
    check((await a.textContent('.notice.ok')).includes('Published at revision'), 'published without reviews, with a reason');

    // A rollback, proposed from its preview, then withdrawn.
    await w.goto(url + '/console/ns/geo/history');
    const back = await w.evaluate(() => [...document.querySelectorAll('a[href*="rollback"]')].pop().getAttribute('href'));
    await w.goto(url + back);
    await w.click('#propose-rollback');
    await w.waitForURL(/\/console\/reviews\/\d+/);
    check((await w.textContent('#request-state')).includes('open'), 'a rollback proposed');
    await w.click('#withdraw');
    await w.waitForURL(/notice=/);
    check((await w.textContent('#request-state')).includes('withdrawn'), 'withdrawn by its author');
  } finally {
    await browser.close();
  }
}

async function webhooks(url, out, admin) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const a = await context(browser);
    await signIn(a, url, ...admin.split(':'));
    await a.click('nav.main a[href="/console/webhooks"]');
    await a.waitForURL(/\/console\/webhooks$/);
    const rows = a.locator('section[data-webhook="audit"] tr[data-event]');
    check((await rows.count()) > 0, 'the delivery log lists attempts');
    check((await a.textContent('section[data-webhook="audit"]')).includes('delivered'), 'as delivered');
    await shoot(a, out, 'webhooks');
    await rows.first().locator('button').click();
    await a.waitForURL(/notice=/);
    check((await a.textContent('.notice.ok')).includes('sent again'), 'an event redelivered');
    check((await a.textContent('section[data-webhook="audit"]')).includes('redelivered'), 'the log shows the redelivery');
  } finally {
    await browser.close();
  }
}

const [mode, ...args] = process.argv.slice(2);
(mode === 'reviews' ? reviews(...args) : webhooks(...args)).catch((e) => {
  console.error(e);
  process.exit(1);
});
