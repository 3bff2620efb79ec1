// Drives the staff console in Debian's headless Chromium with playwright-core,
// as the clinic's staff would, beside a client chatting in the website widget:
//   a therapist signs in and works the review queue (a note, mark reviewed);
//   reception moves a booking in the week view and marks a call-back called;
//   a client asks the widget for a person, reception takes the conversation
//   over, they exchange messages both ways (the client sees the staff
//   member's first name above their messages), reception hands back and the
//   assistant answers again;
//   a client whose earlier pre-screen (another chat, same phone) was
//   clearance does a new pre-screen in the widget, answers no to everything
//   and books: the booking is held; the therapist approves it in the review
//   queue and the widget shows the confirmation;
//   an admin opens the analytics, audit and accounts.
// Every page is checked with axe-core (run through the DevTools protocol, so
// the console's CSP stays on) and photographed. Prints one JSON object of
// what it saw; tests/browser/test_console.py asserts on it.
//
//   node console_flow.mjs CONSOLE_URL SITE_URL OUT_DIR   (CONSOLE_FLOW env: JSON of users, booking)
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const [consoleUrl, siteUrl, outDir] = process.argv.slice(2);
const input = JSON.parse(process.env.CONSOLE_FLOW || "{}");
const seen = { steps: [], axe: {}, requests: [], problems: [] };
const TIMEOUT = 60000;

function step(name, data = {}) { seen.steps.push({ name, ...data }); }

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function newPage(label) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on("request", (r) => seen.requests.push(r.url()));
  page.on("pageerror", (e) => seen.problems.push({ label, kind: "pageerror", message: String(e) }));
  page.on("console", (m) => { if (m.type() === "error") seen.problems.push({ label, kind: "console", message: m.text() }); });
  page.on("dialog", (d) => { seen.problems.push({ label, kind: "dialog", message: d.message() }); d.dismiss(); });
  return page;
}

async function check(page, name) {
  // axe through CDP evaluation: not subject to the page's CSP (which stays on)
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
  });
  seen.axe[name] = result;
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
}

async function login(page, username) {
  await page.goto(consoleUrl + "/login");
  await page.fill("#username", username);
  await page.fill("#password", input.passwords[username]);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  return page.url();
}

async function notice(page) {
  const n = page.locator(".notice, .warning, .error");
  return (await n.count()) ? (await n.allTextContents()).join(" | ") : "";
}

try {
  // 1. a therapist works the review queue
  const anna = await newPage("anna");
  await anna.goto(consoleUrl + "/login");
  await check(anna, "login");
  step("landed", { url: await login(anna, "anna") });
  await anna.goto(consoleUrl + "/reviews");
  await check(anna, "reviews");
  const card = anna.locator("article.review").first();
  step("review_seen", { title: await card.locator("h3").textContent(), text: await card.textContent() });
  await card.locator("textarea").fill("GP letter needed before booking");
  await Promise.all([anna.waitForNavigation(), card.locator(".note-form button").click()]);
  step("review_note", { notice: await notice(anna), url: anna.url(),
    notes: (await anna.locator("article.review .notes").allTextContents()).join(" | ") });
  await Promise.all([anna.waitForNavigation(), anna.locator("article.review").first().getByRole("button", { name: "Mark reviewed" }).click()]);
  step("review_done", { notice: await notice(anna), left: await anna.locator("article.review").count() });

  // 2. reception moves a booking and marks a call-back called
  const rita = await newPage("rita");
  step("rita_landed", { url: await login(rita, "rita") });
  const b = input.booking;
  await rita.goto(`${consoleUrl}/bookings?therapist=${b.therapist}&view=week&date=${b.date}`);
  await check(rita, "bookings");
  const item = rita.locator(`#booking-${b.reference}`);
  step("booking_seen", { text: await item.textContent() });
  await item.locator("summary").click();
  await item.locator("input[name=time]").fill(b.new_time);
  await Promise.all([rita.waitForNavigation(), item.getByRole("button", { name: "Move" }).click()]);
  step("booking_moved", { notice: await notice(rita), text: await rita.locator(`#booking-${b.reference}`).textContent() });

  await rita.goto(consoleUrl + "/callbacks");
  await check(rita, "callbacks");
  const cb = rita.locator("li.callback").first();
  step("callback_seen", { text: await cb.textContent() });
  await cb.locator("textarea").fill("Left a voicemail");
  await Promise.all([rita.waitForNavigation(), cb.locator(".note-form button").click()]);
  await Promise.all([rita.waitForNavigation(), rita.locator("li.callback").first().getByRole("button", { name: "Mark called" }).click()]);
  step("callback_called", { notice: await notice(rita), left: await rita.locator("li.callback").count() });

  // 3. live hand-over: a client in the widget asks for a person
  const client = await newPage("client");
  const widget = client.locator("#clinic-chat");
  await client.goto(siteUrl);
  await widget.locator("button.launcher").click();
  await client.waitForFunction(() => document.querySelector("#clinic-chat").getAttribute("data-state") === "ready");
  const waitBot = async (re) => client.waitForFunction((re) => {
    const root = document.querySelector("#clinic-chat").shadowRoot;
    return [...root.querySelectorAll(".msg.bot")].some((m) => new RegExp(re, "i").test(m.textContent));
  }, re, { timeout: TIMEOUT });
  await waitBot("automated assistant");
  const say = async (text) => { await widget.locator("textarea").fill(text); await widget.locator("textarea").press("Enter"); };
  await say("can I talk to a person please?");
  await waitBot("asked the team");
  step("client_waiting", { last: await widget.locator(".msg.bot").last().textContent() });

  await rita.goto(consoleUrl + "/inbox");
  await rita.locator("li.handover a").first().waitFor();
  await check(rita, "inbox");
  await Promise.all([rita.waitForNavigation(), rita.locator("li.handover a").first().click()]);
  step("conversation_open", { transcript: await rita.locator("#transcript").textContent() });
  await Promise.all([rita.waitForNavigation(), rita.locator("#take").click()]);
  step("taken", { notice: await notice(rita), state: await rita.locator("#state").textContent() });
  await waitBot("now chatting with Rita");

  await rita.fill("#reply", "Hello, this is Rita at the clinic. How can I help?");
  await rita.click("#send-form button");
  await waitBot("this is Rita at the clinic");
  // the staff member's first name above their bubble (not above the assistant's)
  const labels = await client.evaluate(() => {
    const root = document.querySelector("#clinic-chat").shadowRoot;
    return [...root.querySelectorAll(".msg.bot")].map((m) => {
      const prev = m.previousElementSibling;
      return { text: m.textContent, label: prev && prev.classList.contains("who") ? prev.textContent : null };
    });
  });
  await say("Can I bring my own massage oil?");
  await rita.locator("#transcript .msg.from-client", { hasText: "my own massage oil" }).waitFor();
  await client.waitForTimeout(2500); // the assistant must stay silent (and send no apology)
  const botTexts = await widget.locator(".msg.bot").allTextContents();
  step("exchanged", {
    clientSaw: botTexts,
    staffSaw: await rita.locator("#transcript").textContent(),
    labels,
  });
  await rita.fill("#reply", "Yes, just tell your therapist about any allergies.");
  await rita.click("#send-form button");
  await waitBot("any allergies");
  await check(rita, "conversation");
  await client.screenshot({ path: path.join(outDir, "widget-handover.png") });
  await Promise.all([rita.waitForNavigation(), rita.locator("#hand-back").click()]);
  await waitBot("handed you back");
  const before = await widget.locator(".msg.bot").count();
  await say("what is therapeutic massage?");
  await client.waitForFunction((n) => {
    const root = document.querySelector("#clinic-chat").shadowRoot;
    return [...root.querySelectorAll(".msg.bot")].slice(n).some((m) => /soft tissues/i.test(m.textContent));
  }, before);
  step("handed_back", { notice: await notice(rita), last: await widget.locator(".msg.bot").last().textContent() });

  // 4. a booking held because of an earlier clearance, approved by the therapist
  const held = input.held;
  const buyer = await newPage("held-client");
  const w2 = buyer.locator("#clinic-chat");
  await buyer.goto(siteUrl);
  await w2.locator("button.launcher").click();
  await buyer.waitForFunction(() => document.querySelector("#clinic-chat").getAttribute("data-state") === "ready");
  const bots2 = w2.locator(".msg.bot");
  const replies2 = w2.locator(".replies button");
  const waitNew = async (before, re) => buyer.waitForFunction(([n, re]) => {
    const root = document.querySelector("#clinic-chat").shadowRoot;
    return [...root.querySelectorAll(".msg.bot")].slice(n).some((m) => new RegExp(re, "i").test(m.textContent));
  }, [before, re], { timeout: TIMEOUT });
  // a turn is over when its quick replies are there (every step of the pre-screen and booking has them)
  const waitReplies = async (before) => buyer.waitForFunction((n) => {
    const root = document.querySelector("#clinic-chat").shadowRoot;
    return root.querySelectorAll(".msg.bot").length > n && root.querySelector(".replies button");
  }, before, { timeout: TIMEOUT });
  const press = async (re) => {
    const before = await bots2.count();
    await replies2.filter({ hasText: re }).first().click();
    return before;
  };
  const type2 = async (text) => {
    const before = await bots2.count();
    await w2.locator("textarea").fill(text);
    await w2.locator("textarea").press("Enter");
    return before;
  };
  await waitNew(0, "automated assistant");
  await waitReplies(await type2("can I have a massage?"));
  await waitReplies(await press(/^Yes, I agree/));
  for (let i = 0; i < 30; i++) {
    const last = (await bots2.allTextContents()).slice(-1)[0] || "";
    if (/Is that right\?/.test(last)) break;
    if (/body massage or a facial massage/i.test(last)) await waitReplies(await press(/^Body massage/));
    else if (/anything else about your health/i.test(last)) await waitReplies(await press(/^No, nothing else/));
    else await waitReplies(await press(/^No$/));
  }
  await waitReplies(await press(/^Yes, that's right/));
  step("held_prescreen", { outcome: (await bots2.allTextContents()).slice(-2).join("\n") });
  // the offer after a pre-screen asked for on its own is the lengths ("Book 60 min (£65)")
  await waitReplies(await press(/^Book 60 min/));
  await waitReplies(await press(/^As soon as possible/));
  let before2 = await press(/ with /);
  await waitNew(before2, "What name and phone number");
  await waitReplies(await type2(`${held.name}, ${held.phone}`));
  before2 = await press(/^Yes/);
  await waitNew(before2, "NOT confirmed");
  const heldText = (await bots2.allTextContents()).slice(before2).join("\n");
  const reference = (heldText.match(/reference ([A-Z0-9]{6})/) || [])[1];
  step("held_in_widget", { text: heldText, reference });

  await anna.goto(consoleUrl + "/reviews");
  const heldCard = anna.locator(`#held-${reference}`);
  step("held_seen", { text: await heldCard.textContent() });
  await check(anna, "reviews-held");
  before2 = await bots2.count();
  await Promise.all([anna.waitForNavigation(), heldCard.getByRole("button", { name: `Approve ${reference}` }).click()]);
  step("held_approved", { notice: await notice(anna), left: await anna.locator(`#held-${reference}`).count() });
  await waitNew(before2, "confirmed it");
  await buyer.screenshot({ path: path.join(outDir, "widget-approved.png") });
  step("approved_in_widget", { last: await bots2.last().textContent() });

  // 5. an admin: analytics, audit, accounts
  const sam = await newPage("sam");
  step("sam_landed", { url: await login(sam, "sam") });
  await sam.goto(consoleUrl + "/analytics");
  await check(sam, "analytics");
  step("analytics", { charts: await sam.locator("svg.chart").count() });
  await sam.goto(consoleUrl + "/audit");
  await check(sam, "audit");
  step("audit", { rows: await sam.locator("tbody tr").allTextContents() });
  await sam.goto(consoleUrl + "/accounts");
  await check(sam, "accounts");
} catch (error) {
  step("error", { message: String(error && error.stack || error) });
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
