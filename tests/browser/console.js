// Drives the console in headless Chromium (playwright-core), as a person
// would: sign in with the keyboard, create a namespace with a schema, stage
// an edit that violates it (refused, nothing staged), stage three, publish
// them with a comment, meet a conflict from a second session, and see a
// cross-site form refused. Screenshots of the main screens at 375 and 1440
// px go to OUTDIR.
//   NODE_PATH=.../node_modules node console.js main URL EVIL_URL OUTDIR ADMIN:PW WRITER:PW
//   NODE_PATH=.../node_modules node console.js ended URL OUTDIR
const { chromium } = require('playwright-core');

const { check, signIn, shoot, stage, ARGS } = require('./console_lib.js');

async function main(url, evil, out, admin, writer) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const one = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    one.setDefaultTimeout(60000);
    const page = await one.newPage();
    await page.goto(url + '/console/login');
    await shoot(page, out, 'login');
    const [user, password] = admin.split(':');
    await signIn(page, url, user, password);
    check((await page.textContent('h1')) === 'Namespaces', 'signed in, on the namespaces');
    await shoot(page, out, 'namespaces');

    await page.fill('#ns-name', 'geo');
    await page.fill('#ns-description', 'Countries by ISO code');
    await page.click('form[action="/console/namespaces"] button');
    await page.waitForURL(/\/console\/ns\/geo/);
    check((await page.textContent('.notice.ok')).includes('Created'), 'namespace created');

    await page.click('#schema-card summary');
    await page.fill('#schema', '{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}');
    await page.click('#schema-card button');
    await page.waitForURL(/notice=/);
    check((await page.textContent('.notice.ok')).includes('Schema set'), 'schema set');

    await stage(page, 'fr', '{"capital": "Paris"');
    check((await page.textContent('#edit-errors')).includes('JSON syntax error'), 'a syntax error is shown at once');
    await page.fill('#edit-value', '{"capital": "Paris"}');
    await page.click('#stage');
    await page.waitForFunction(() => document.getElementById('edit-errors').textContent.includes('Not staged'));
    check((await page.textContent('#edit-errors')).includes('name'), 'the schema error names the missing property');
    check(await page.locator('#staged-card').isHidden(), 'nothing was staged');

    await page.fill('#edit-value', '{"name": "France", "capital": "Paris"}');
    await page.click('#stage');
    await page.waitForSelector('#staged-card:not([hidden])');
    await stage(page, 'de', '{"name": "Germany"}');
    await stage(page, 'it', '{"name": "Italy"}');
    await page.waitForFunction(() => document.getElementById('staged-count').textContent === '(3)');
    check((await page.locator('#staged pre.diff span.add').count()) >= 3, 'the diff shows the added lines');
    await shoot(page, out, 'staged');
    await page.fill('#comment', 'first countries');
    await page.click('#publish-button');
    await page.waitForURL(/published=/);
    check((await page.textContent('.notice.ok')).includes('Published at revision'), 'published');
    check(await page.locator('#staged-card').isHidden(), 'the staged set is cleared');
    check((await page.locator('tr[data-key]').count()) === 3, 'three records listed');
    await shoot(page, out, 'namespace');

    // A second session edits fr while the first publishes a change to de.
    const two = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    two.setDefaultTimeout(60000);
    const other = await two.newPage();
    const [wuser, wpassword] = writer.split(':');
    await signIn(other, url, wuser, wpassword);
    await other.goto(url + '/console/ns/geo');
    await stage(other, 'fr', '{"name": "République française"}');
    await other.waitForSelector('#staged-card:not([hidden])');
    await stage(page, 'de', '{"name": "Deutschland"}');
    await page.waitForSelector('#staged-card:not([hidden])');
    await page.fill('#comment', 'rename de');
    await page.click('#publish-button');
    await page.waitForURL(/published=/);
    await other.fill('#comment', 'rename fr');
    await other.click('#publish-button');
    await other.waitForURL(/conflict=1/);
    check(await other.locator('#conflict').isVisible(), 'the second session is shown the conflict');
    await other.waitForFunction(() => document.getElementById('staged-count').textContent === '(1)');
    check(true, 'its staged change is kept');
    await shoot(other, out, 'conflict');
    await other.click('#rebase');
    await other.waitForURL(/published=/);
    check(true, 'published onto the current revision after review');

    // History: the timeline with comments, a key's diff, a rollback with
    // a preview and a confirmation.
    await page.goto(url + '/console/ns/geo');
    await page.click('nav.tabs a[href$="/history"]');
    await page.waitForURL(/\/history$/);
    const timeline = await page.textContent('table.timeline');
    check(timeline.includes('first countries') && timeline.includes('rename fr'), 'the timeline shows the comments');
    await shoot(page, out, 'history');
    await page.goto(url + '/console/ns/geo/key?key=de');
    const keyDiff = await page.textContent('#diff-out');
    check(keyDiff.includes('- ') && keyDiff.includes('Germany') && keyDiff.includes('+ ') && keyDiff.includes('Deutschland'),
      "a key's last two writes are compared");
    await page.goto(url + '/console/ns/geo/history');
    const link = await page.$$eval('table.timeline tbody tr', (rows) => rows
      .find((r) => r.textContent.includes('first countries'))
      .querySelector('a[href*="rollback"]').getAttribute('href'));
    await page.click(`a[href="${link}"]`);
    await page.waitForURL(/rollback\?revision=/);
    check((await page.locator('#rollback-preview .staged-item').count()) === 2, 'the preview lists the two keys it changes');
    check((await page.textContent('#rollback-preview')).includes('Deutschland'), 'with their diff');
    await shoot(page, out, 'rollback');
    await page.click('#confirm-rollback');
    await page.waitForURL(/notice=/);
    check((await page.textContent('.notice.ok')).includes('Rolled back to revision'), 'rolled back');

    // Import a file: the dry run, then publish it.
    await page.goto(url + '/console/ns/geo');
    await page.click('#transfer-card summary');
    require('fs').writeFileSync(out + '/countries.ndjson',
      '{"key":"es","value":{"name":"Spain"}}\n{"key":"it","value":{"name":"Italia"}}\n');
    await page.setInputFiles('#import-file', out + '/countries.ndjson');
    await page.waitForFunction(() => document.getElementById('import-data').value.includes('Spain'));
    check((await page.inputValue('#import-format')) === 'ndjson', 'the format is taken from the file name');
    await page.click('#import button.primary');
    await page.waitForURL(/\/import$/);
    check((await page.textContent('p.lead')).startsWith('1 to add, 1 to change, 0 to remove'), 'the dry run says what would change');
    await shoot(page, out, 'import');
    await page.fill('#import-comment', 'import from file');
    await page.click('#publish-import');
    await page.waitForURL(/notice=/);
    check((await page.textContent('.notice.ok')).includes('Imported at revision'), 'imported as one change set');

    // A token: created and shown once with a copy button, then revoked.
    await page.goto(url + '/console/tokens');
    await page.fill('#token-name', 'edge-paris-1');
    await page.fill('#token-namespaces', 'geo');
    await page.fill('#token-expires', '90d');
    await page.click('form[action="/console/tokens"] button');
    await page.waitForSelector('#new-token');
    const token = (await page.textContent('#token-value')).trim();
    check(/^sdt_[0-9a-f]{64}$/.test(token), 'the new token is shown once');
    check(await page.locator('[data-copy="token-value"]').isVisible(), 'with a copy button');
    await shoot(page, out, 'tokens');
    console.log('token: ' + token);
    await page.click('tr[data-token="edge-paris-1"] button');
    await page.waitForURL(/notice=/);
    check((await page.locator('tr[data-token="edge-paris-1"]').count()) === 0, 'revoked');

    // Users: add a reader, grant it write on geo, take its * grant away.
    await page.goto(url + '/console/users');
    await page.fill('#user-name', 'viewer');
    await page.fill('#user-password', 'viewer-password');
    await page.selectOption('#user-level', 'read');
    await page.click('form[action="/console/users"] button');
    await page.waitForURL(/notice=/);
    check((await page.locator('tr[data-user="viewer"]').count()) === 1, 'a user is added');
    await page.click('tr[data-user="viewer"] a');
    await page.fill('#grant-scope', 'geo');
    await page.selectOption('#grant-level', 'write');
    await page.click('#grant button');
    await page.waitForURL(/notice=/);
    await page.click('#grants tr:has(code:text-is("*")) button');
    await page.waitForURL(/notice=/);
    const grants = await page.textContent('#grants');
    check(grants.includes('geo') && grants.includes('write') && !grants.includes('every namespace'), 'its grants are changed');
    await shoot(page, out, 'user');

    // A user whose password is reset, then removed.
    await page.goto(url + '/console/users');
    await page.fill('#user-name', 'temp');
    await page.fill('#user-password', 'temp-password');
    await page.click('form[action="/console/users"] button');
    await page.waitForURL(/notice=/);
    await page.click('tr[data-user="temp"] a');
    await page.fill('#new-password', 'temp-password-2');
    await page.click('input[value="password"] ~ button');
    await page.waitForURL(/notice=/);
    check((await page.textContent('.notice.ok')).includes('Password changed'), 'a password is reset');
    await page.click('details.danger-zone summary');
    await page.click('input[value="remove"] ~ button');
    await page.waitForURL(/notice=/);
    check((await page.locator('tr[data-user="temp"]').count()) === 0, 'a user is removed');

    // A namespace deleted, its name typed again to confirm.
    await page.goto(url + '/console');
    await page.fill('#ns-name', 'scratch');
    await page.click('form[action="/console/namespaces"] button');
    await page.waitForURL(/\/console\/ns\/scratch/);
    await page.click('details.danger-zone summary');
    await page.fill('#confirm', 'scratc');
    await page.click('details.danger-zone button.danger');
    await page.waitForURL(/error=/);
    check((await page.textContent('.notice.error')).includes('Type the namespace'), 'a delete with the wrong name is refused');
    await page.click('details.danger-zone summary');
    await page.fill('#confirm', 'scratch');
    await page.click('details.danger-zone button.danger');
    await page.waitForURL(/notice=/);
    check((await page.textContent('.notice.ok')).includes('scratch deleted'), 'a namespace is deleted');

    // The fleet: two edges pulled; tokyo missed the last change.
    await page.click('nav.main a[href="/console/fleet"]');
    await page.waitForSelector('#fleet');
    check((await page.textContent('[data-total="current"]')).trim() === '2', 'two edges current');
    const paris = await page.textContent('tr[data-edge="edge-paris"]');
    check(paris.includes('region=eu'), 'an edge shows its labels');
    const tokyo = await page.textContent('tr[data-edge="edge-tokyo"]');
    check(paris.includes('up to date') && paris.includes('127.0.0.1') && paris.includes('syncdict/'), 'paris is up to date, with its address and version');
    check(tokyo.includes('1 revision,') && tokyo.includes('verified'), 'tokyo is a revision behind, its digest verified');
    await shoot(page, out, 'fleet');
    await page.click('a.tile.lagging');
    check((await page.textContent('.empty')).includes('No edge is lagging'), 'filtered by state');

    // A form on another site posting to the console is refused.
    await page.goto(evil);
    await page.waitForURL(url + '/console/namespaces');
    const body = await page.textContent('body');
    check(body.includes('did not come from a console page'), 'a cross-site form post is refused');

    await one.storageState({ path: out + '/state.json' });
  } finally {
    await browser.close();
  }
}

async function ended(url, out) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const context = await browser.newContext({ storageState: out + '/state.json' });
    const page = await context.newPage();
    await page.goto(url + '/console/ns/geo');
    check(page.url().includes('/console/login') && page.url().includes('ended=1'), 'an ended session is sent to sign in');
    check((await page.textContent('.notice')).includes('Your session ended'), 'and told why');
  } finally {
    await browser.close();
  }
}

process.on('unhandledRejection', (e) => { console.error(e); process.exit(1); });
const [phase, ...rest] = process.argv.slice(2);
(phase === 'main' ? main(...rest) : ended(...rest))
  .catch((e) => { console.error(e); process.exit(1); });
