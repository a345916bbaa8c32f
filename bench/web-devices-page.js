// Driven by web-devices-page.sh with Playwright's own node and package (from Microsoft.Playwright's driver).
// argv: playwright-package web-url web-pid runs circuits
const [packagePath, web, webPid, runsText, circuitsText] = process.argv.slice(2);
const { chromium } = require(require('path').resolve(packagePath));
const fs = require('fs');
const os = require('os');
const runs = Number(runsText);
const circuits = Number(circuitsText);

const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const median = values => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${webPid}/status`, 'utf8'))[1]) / 1024;
const firstSerial = page => page.getByTestId('device-link').first().innerText();

async function openDevices(page) {
    const started = Date.now();
    await page.goto(`${web}/devices`);
    await page.locator('[data-circuit=connected]').waitFor({ timeout: 60000 });
    const connected = Date.now();
    await page.getByTestId('device-link').nth(49).waitFor({ timeout: 60000 });
    return { connected: connected - started, rows: Date.now() - started };
}

(async () => {
    const profile = fs.mkdtempSync(`${os.tmpdir()}/fleet-web-bench-chromium-`);
    const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args });
    try {
        const page = await context.newPage();
        await openDevices(page); // warm-up: JIT, first circuit, connection pools
        const first = [], connected = [], change = [];
        for (let i = 0; i < runs; i++) {
            const timing = await openDevices(page);
            first.push(timing.rows);
            connected.push(timing.connected);
            const before = await firstSerial(page);
            const started = Date.now();
            await page.getByRole('button', { name: /next page/i }).click();
            await page.waitForFunction(b => document.querySelector('[data-testid=device-link]')?.innerText !== b, before, { timeout: 60000 });
            change.push(Date.now() - started);
        }
        const total = await page.getByTestId('devices-total').getAttribute('data-total');
        console.log(`devices page over ${total} devices, browser on the same machine, median of ${runs}:`);
        console.log(`  navigation to circuit up          ${median(connected)} ms`);
        console.log(`  navigation to 50 rows (first)     ${median(first)} ms`);
        console.log(`  next page click to new rows        ${median(change)} ms`);
        await page.close();

        const before = rssMiB();
        const pages = [];
        for (let i = 0; i < circuits; i++) {
            const p = await context.newPage();
            await openDevices(p);
            pages.push(p);
        }
        const after = rssMiB();
        console.log(`web RSS: ${before.toFixed(1)} MiB before, ${after.toFixed(1)} MiB with ${circuits} more circuits on /devices → ${((after - before) / circuits).toFixed(2)} MiB per circuit`);
        for (const p of pages) {
            await p.close();
        }
    } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
})().catch(error => { console.error(error); process.exit(1); });
