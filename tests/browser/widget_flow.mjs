// Drives the widget in Debian's headless Chromium with playwright-core, as a
// client would: on the clinic's site (another origin), ask an FAQ question,
// press a quick reply, reload and read the history, run a short pre-screen,
// use the keyboard, and look at the mobile layout. Prints one JSON object of
// what it saw; tests/browser/test_widget.py asserts on it.
//
//   node widget_flow.mjs SITE_URL OUT_DIR
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const [siteUrl, outDir] = process.argv.slice(2);
const seen = { steps: [], requests: [] };
const STEP_TIMEOUT = 60000;

function step(name, data = {}) {
  seen.steps.push({ name, ...data });
}

const userDataDir = fs.mkdtempSync(path.join(outDir, "chromium-profile-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 860 },
});
context.setDefaultTimeout(STEP_TIMEOUT);

try {
  const page = context.pages()[0] || (await context.newPage());
  page.on("request", (r) => seen.requests.push(r.url()));
  page.on("pageerror", (e) => step("pageerror", { message: String(e) }));
  page.on("console", (m) => { if (m.type() === "error") step("console_error", { message: m.text() }); });
  page.on("dialog", (d) => { step("dialog", { message: d.message() }); d.dismiss(); });

  const widget = page.locator("#clinic-chat");
  const launcher = widget.locator("button.launcher");
  const panel = widget.locator(".panel");
  const input = widget.locator("textarea");
  const botMessages = widget.locator(".msg.bot");
  const userMessages = widget.locator(".msg.user");
  const replies = widget.locator(".replies button");

  async function waitBot(pattern, after = 0) {
    await page.waitForFunction(
      ([re, after]) => {
        const root = document.querySelector("#clinic-chat").shadowRoot;
        const msgs = [...root.querySelectorAll(".msg.bot")].slice(after);
        return msgs.some((m) => new RegExp(re, "i").test(m.textContent));
      },
      [pattern, after],
      { timeout: STEP_TIMEOUT },
    );
  }

  async function watchTyping() {
    await page.evaluate(() => {
      const root = document.querySelector("#clinic-chat").shadowRoot;
      const el = root.querySelector(".typing");
      window.__sawTyping = false;
      new MutationObserver(() => { if (!el.hidden) window.__sawTyping = true; })
        .observe(el, { attributes: true, attributeFilter: ["hidden"] });
    });
  }

  // 1. the clinic's page, the launcher, opening with the keyboard
  await page.goto(siteUrl);
  await launcher.waitFor();
  step("launcher", {
    expanded: await launcher.getAttribute("aria-expanded"),
    controls: await launcher.getAttribute("aria-controls"),
  });
  await launcher.focus();
  await page.keyboard.press("Enter");
  await panel.waitFor({ state: "visible" });
  await page.waitForFunction(() => document.querySelector("#clinic-chat").getAttribute("data-state") === "ready");
  await waitBot("automated assistant");
  const header = widget.locator(".head");
  step("opened", {
    expanded: await launcher.getAttribute("aria-expanded"),
    role: await panel.getAttribute("role"),
    title: await widget.locator(".head h2").textContent(),
    headerColour: await header.evaluate((el) => getComputedStyle(el).backgroundColor),
    privacy: await widget.locator(".privacy").textContent(),
    privacyVisible: await widget.locator(".privacy").isVisible(),
    privacyLink: await widget.locator(".privacy a").getAttribute("href"),
    logRole: await widget.locator(".log").getAttribute("role"),
    logLive: await widget.locator(".log").getAttribute("aria-live"),
    inputLabel: await widget.locator("label[for='cc-input']").textContent(),
    focusedIsInput: await page.evaluate(() => document.querySelector("#clinic-chat").shadowRoot.activeElement?.tagName),
    greeting: await botMessages.first().textContent(),
  });

  // 2. an FAQ question, typed and sent with Enter
  await watchTyping();
  let before = await botMessages.count();
  await input.fill("what is therapeutic massage?");
  await input.press("Enter");
  await waitBot("soft tissues", before);
  step("faq", {
    answer: await botMessages.last().textContent(),
    replies: await replies.allTextContents(),
    sawTyping: await page.evaluate(() => window.__sawTyping),
    repliesGroupLabel: await widget.locator(".replies").getAttribute("aria-label"),
  });

  // 3. a quick reply
  before = await botMessages.count();
  await replies.filter({ hasText: "Benefits" }).click();
  await waitBot("endorphins", before);
  step("quick_reply", {
    user: await userMessages.last().textContent(),
    answer: await botMessages.last().textContent(),
    // the pressed button went with the replies: the focus must stay in the chat
    focusedAfter: await page.evaluate(() => document.querySelector("#clinic-chat").shadowRoot.activeElement?.tagName),
  });

  // 3b. axe-core on the page with the widget open (open shadow roots included)
  await page.evaluate(axeSource);
  step("axe", {
    violations: await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
    }),
  });

  await page.screenshot({ path: path.join(outDir, "widget-desktop.png") });

  // 4. reload: the same conversation, from the assistant's history
  const storage = await page.evaluate(() => ({ ...localStorage }));
  await page.reload();
  await panel.waitFor({ state: "visible" });
  await waitBot("endorphins");
  step("reloaded", {
    storage,
    users: await userMessages.allTextContents(),
    bots: await botMessages.allTextContents(),
    replies: await replies.allTextContents(),
  });

  // 4b. the clinic's phone and email: tap-to-call and mailto links
  before = await botMessages.count();
  await input.fill("what is your phone number?");
  await input.press("Enter");
  await page.waitForFunction((after) => {
    const root = document.querySelector("#clinic-chat").shadowRoot;
    return [...root.querySelectorAll(".msg.bot")].slice(after).some((m) => m.querySelector("a[href^='tel:']"));
  }, before, { timeout: STEP_TIMEOUT }).catch(() => {});
  step("contact_links", {
    hrefs: await botMessages.evaluateAll((els, after) => els.slice(after).flatMap((e) => [...e.querySelectorAll("a")].map((a) => a.getAttribute("href"))), before),
    text: (await botMessages.allTextContents()).slice(before).join("\n"),
  });

  // 5. a short pre-screen: consent yes, then yes to the red-flag question
  before = await botMessages.count();
  await input.fill("can I have a massage?");
  await input.press("Enter");
  await waitBot("permission", before);
  const consentReplies = await replies.allTextContents();
  before = await botMessages.count();
  await replies.filter({ hasText: /^Yes/ }).first().click();
  await waitBot("chest pain", before);
  const redFlagQuestion = await botMessages.last().textContent();
  before = await botMessages.count();
  await replies.filter({ hasText: /^Yes/ }).first().click();
  await waitBot("999", before);
  const emergency = (await botMessages.allTextContents()).slice(before).join("\n");
  step("prescreen", { consentReplies, redFlagQuestion, emergency });

  // 6. keyboard: Escape closes and gives the focus back to the launcher
  await input.focus();
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "hidden" });
  step("escape", {
    expanded: await launcher.getAttribute("aria-expanded"),
    focused: await page.evaluate(() => document.querySelector("#clinic-chat").shadowRoot.activeElement?.className),
  });

  // 7. safe markdown: HTML in a message is text, links only to safe schemes
  const rendered = await page.evaluate(() => {
    const div = document.createElement("div");
    div.appendChild(window.ClinicChat.renderMarkdown(
      "**Bold** and _it_ <img src=x onerror=alert(1)> [bad](javascript:alert(1)) [site](https://harmony.example/a?b=1&c=2)\n- one\n- two"));
    return { html: div.innerHTML, links: [...div.querySelectorAll("a")].map((a) => ({ href: a.href, rel: a.rel, target: a.target })) };
  });
  step("markdown", rendered);

  // 8. mobile: the panel takes the whole screen
  await page.setViewportSize({ width: 375, height: 667 });
  await launcher.click();
  await panel.waitFor({ state: "visible" });
  const box = await panel.boundingBox();
  step("mobile", { box });
  await page.screenshot({ path: path.join(outDir, "widget-mobile.png") });

  // 9. a comparison of two massage types: one block per type, names in bold
  before = await botMessages.count();
  await input.fill("what's the difference between deep tissue and swedish?");
  await input.press("Enter");
  await waitBot("Not sure which", before);
  const compared = (await botMessages.evaluateAll((els) => els.map((e) => [e.innerHTML, e.textContent]))).slice(before);
  step("compare", { html: compared.map((c) => c[0]).join("\n"), text: compared.map((c) => c[1]).join("\n") });

  // 10. booking, then a change of service: a new chat asks to book a facial,
  // answers the pre-screen with its buttons, and at the first booking question
  // says "actually a body massage instead" (issue 11, item 5)
  await page.setViewportSize({ width: 1280, height: 860 });
  await widget.locator("button.new").click();
  await waitBot("automated assistant");
  before = await botMessages.count();
  await input.fill("I'd like to book a facial massage on friday morning");
  await input.press("Enter");
  await waitBot("permission", before);
  const BOOKING_QUESTION = /How long would you like|When would you like|Here are the free times|nearest free times/i;
  for (let i = 0; i < 30; i++) {
    const last = (await botMessages.allTextContents()).slice(-1)[0] || "";
    if (BOOKING_QUESTION.test(last)) break;
    const titles = await replies.allTextContents();
    const pick = titles.find((t) => /^Yes, I agree|^Yes, that's right/.test(t)) || titles.find((t) => /^No\b/.test(t));
    if (!pick) break;
    before = await botMessages.count();
    await replies.filter({ hasText: pick }).first().click();
    await page.waitForFunction((after) => document.querySelector("#clinic-chat").shadowRoot.querySelectorAll(".msg.bot").length > after, before);
    await page.waitForTimeout(300);
  }
  const bookingAsked = (await botMessages.allTextContents()).slice(-1)[0] || "";
  before = await botMessages.count();
  await input.fill("actually a body massage instead");
  await input.press("Enter");
  await waitBot("instead", before);
  await page.waitForTimeout(1500);
  step("changed_service", {
    bookingAsked,
    after: (await botMessages.allTextContents()).slice(before).join("\n"),
    replies: await replies.allTextContents(),
  });

  // 11. the times with a therapist choice beside them (issue 11, item 8):
  // the body massage's questions answered, its length, then the free times
  // show a button per therapist; "Only with Tom" shows only Tom's times; axe
  // scans the chat with those buttons showing
  for (let i = 0; i < 30; i++) {
    const last = (await botMessages.allTextContents()).slice(-1)[0] || "";
    if (/How long would you like/i.test(last)) break;
    const titles = await replies.allTextContents();
    const pick = titles.find((t) => /^Yes, that's right/.test(t)) || titles.find((t) => /^No\b/.test(t));
    if (!pick) break;
    before = await botMessages.count();
    await replies.filter({ hasText: pick }).first().click();
    await page.waitForFunction((after) => document.querySelector("#clinic-chat").shadowRoot.querySelectorAll(".msg.bot").length > after, before);
    await page.waitForTimeout(300);
  }
  before = await botMessages.count();
  await replies.filter({ hasText: "60 min" }).first().click();
  await waitBot("free times|When would you like", before);
  if (/When would you like/i.test((await botMessages.allTextContents()).slice(-1)[0] || "")) {
    before = await botMessages.count();
    await input.fill("friday morning");
    await input.press("Enter");
    await waitBot("free times", before);
  }
  await page.waitForTimeout(500);
  const offered = await replies.allTextContents();
  before = await botMessages.count();
  await replies.filter({ hasText: "Only with Tom" }).first().click();
  await waitBot("Tom it is", before);
  await page.waitForTimeout(1000);
  await page.evaluate(axeSource); // the page was reloaded since 3b
  step("therapist_choice", {
    offered,
    after: (await botMessages.allTextContents()).slice(before).join("\n"),
    replies: await replies.allTextContents(),
    violations: await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
    }),
  });
} catch (error) {
  step("error", { message: String(error && error.stack || error) });
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(seen) + "\n");
}
