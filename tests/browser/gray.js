// Drives gray releases in headless Chromium (playwright-core). Mode
// "start": a writer stages an edit, chooses "Release to some edges
// first", previews how many edges a target reaches and starts the release
// (prints "release: ID"). Mode "manage", once the edges pulled: the
// release's members, an overlapping second release and which one wins,
// the namespace's active releases, a widened target, the promotion, and an
// automatic canary started and aborted. Mode "reviewed": an approved
// change request of a namespace that requires reviews, released to one
// edge from its page and promoted from the release's page, which publishes
// it. Screenshots at 375 and 1440 px.
//   NODE_PATH=.../node_modules node gray.js start URL OUTDIR WRITER:PW
//   NODE_PATH=.../node_modules node gray.js manage URL OUTDIR WRITER:PW ID
//   NODE_PATH=.../node_modules node gray.js reviewed URL OUTDIR WRITER:PW REQUEST
const { chromium } = require('playwright-core');
const { check, signIn, shoot, stage, ARGS } = require('./console_lib.js');

async function release(page, url, key, value, target) {
  await page.goto(url + '/console/ns/geo');
  await stage(page, key, value);
  await page.waitForSelector('#staged-card:not([hidden])');
  await page.fill('#comment', 'try ' + key);
  await page.click('#gray-button');
  await page.waitForSelector('#release-form');
  if (target.auto) {
    await page.check('#release-auto');
    await page.fill('#release-steps', target.auto);
  } else {
    await page.selectOption('#release-kind', target.kind);
    await page.fill('#release-value', target.value);
  }
}

async function start(page, url, out) {
  await release(page, url, 'fr', '{"name": "France"}', { kind: 'edges', value: 'edge-paris' });
  await page.click('#preview-reach');
  await page.waitForSelector('#release-reach');
  const reach = await page.textContent('#release-reach');
  check(reach.includes('Reaches 1 of the 2 edges') && reach.includes('edge-paris'), 'the preview counts the edges it reaches: ' + reach);
  check((await page.inputValue('#release-value')) === 'edge-paris', 'the form keeps what was typed');
  await shoot(page, out, 'gray-new');
  await page.click('#start-release');
  await page.waitForURL(/\/console\/gray\/\d+/);
  check((await page.textContent('.notice.ok')).includes('Release started'), 'the release started');
  console.log('release: ' + page.url().split('/').pop().split('?')[0]);
}

async function manage(page, url, out, id) {
  await page.goto(url + '/console/gray/' + id);
  check((await page.textContent('#members tr[data-edge="edge-paris"]')).includes('yes'), 'the member holds the release');
  check((await page.locator('#members tr[data-edge="edge-tokyo"]').count()) === 0, 'only the target is a member');
  await shoot(page, out, 'gray-release');
  // A second release on the same key, to the other edge: the page says which wins.
  await release(page, url, 'fr', '{"name": "Frankreich"}', { kind: 'edges', value: 'edge-tokyo' });
  await page.click('#start-release');
  await page.waitForURL(/\/console\/gray\/\d+/);
  const overlap = await page.textContent('.overlap');
  check(overlap.includes('#' + id) && overlap.includes('newest wins'), 'an overlapping release is shown with the rule: ' + overlap);
  await page.fill('#abort-reason', 'clashes');
  await page.click('#abort');
  await page.waitForURL(/notice=/);
  check((await page.textContent('#release-state')).includes('aborted'), 'aborted with its reason');
  // The namespace lists its active release; widen it, then promote it.
  await page.goto(url + '/console/ns/geo');
  check((await page.locator('#active-releases tr[data-release="' + id + '"]').count()) === 1, 'the namespace shows its active release');
  await shoot(page, out, 'gray-namespace');
  await page.goto(url + '/console/gray/' + id);
  await page.selectOption('#widen-kind', 'labels');
  await page.fill('#widen-value', 'region=eu');
  await page.click('#widen-button');
  await page.waitForURL(/notice=/);
  check((await page.textContent('#release-state')).includes('region'), 'the target widened to a label');
  await page.fill('#promote-comment', 'France everywhere');
  await page.click('#promote');
  await page.waitForURL(/notice=/);
  check((await page.textContent('.notice.ok')).includes('Promoted at revision'), 'promoted as one revision');
  // An automatic canary: its schedule and next step are shown.
  await release(page, url, 'it', '{"name": "Italia"}', { auto: '5, 50, 100' });
  await page.click('#start-release');
  await page.waitForURL(/\/console\/gray\/\d+/);
  check((await page.textContent('#release-auto')).includes('next'), 'the schedule and its next step are shown');
  check((await page.textContent('#release-state')).includes('"percent":5'), 'it starts at its first step');
  await shoot(page, out, 'gray-canary');
  await page.fill('#abort-reason', 'not now');
  await page.click('#abort');
  await page.waitForURL(/notice=/);
  check((await page.textContent('.notice.ok')).includes('Aborted'), 'the canary aborted by hand');
}

async function reviewed(page, url, out, request) {
  await page.goto(url + '/console/reviews/' + request);
  await page.click('#release-request');
  await page.waitForSelector('#release-form');
  check((await page.textContent('.lead')).includes('Change request #' + request), 'the form names the request');
  await page.selectOption('#release-kind', 'edges');
  await page.fill('#release-value', 'edge-paris');
  await shoot(page, out, 'gray-request');
  await page.click('#start-release');
  await page.waitForURL(/\/console\/gray\/\d+/);
  check((await page.textContent('#release-request')).includes('#' + request), 'the release names its request');
  const id = page.url().split('/').pop().split('?')[0];
  await page.goto(url + '/console/reviews/' + request);
  check((await page.textContent('#request-release')).includes('#' + id), 'the request names its release');
  check((await page.locator('#release-request').count()) === 0, 'a request in an active release is not released twice');
  await page.goto(url + '/console/gray/' + id);
  await page.click('#promote');
  await page.waitForURL(/notice=/);
  check((await page.textContent('.notice.ok')).includes('Promoted at revision'), 'promoted');
  await page.goto(url + '/console/reviews/' + request);
  check((await page.textContent('#request-state')).includes('published'), 'the promotion published the request');
  console.log('ok: the request released and published');
}

(async () => {
  const [mode, url, out, writer, id] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(60000);
    const page = await ctx.newPage();
    await signIn(page, url, ...writer.split(':'));
    if (mode === 'start') await start(page, url, out);
    else if (mode === 'reviewed') await reviewed(page, url, out, id);
    else await manage(page, url, out, id);
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
