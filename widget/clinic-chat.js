/*!
 * The clinic's chat widget: one script tag and a config object.
 *
 *   <script>
 *     window.ClinicChatConfig = { clinicName: "Harmony Massage Clinic", ... };
 *   </script>
 *   <script src="https://ASSISTANT/widget/clinic-chat.js" defer></script>
 *
 * Talks to the assistant over Rasa's socket.io channel (channels/website.py),
 * with the socket.io client served from the same place (widget/vendor/).
 * Vanilla JavaScript, no build step, no CDN. The page keeps only the
 * conversation's random id in localStorage; the history shown after a reload
 * comes from the assistant. Bot text is rendered from a small, safe markdown
 * subset by building DOM nodes (never innerHTML), so no HTML from a message
 * is ever interpreted.
 */
(function () {
  "use strict";
  if (window.ClinicChat && window.ClinicChat.mounted) return;

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll("script[src*='clinic-chat']");
    return all[all.length - 1];
  })();
  var scriptBase = script && script.src ? script.src.replace(/[^/]*$/, "") : "/widget/";
  var user = window.ClinicChatConfig || {};

  var defaults = {
    server: script && script.src ? new URL(script.src, location.href).origin : location.origin,
    socketPath: "/socket.io/",
    clinicName: "our clinic",
    title: null,                    // header text; default "<clinicName> assistant"
    launcherLabel: "Chat with us",
    placeholder: "Type your question…",
    colors: {},
    privacyNotice: "This is an automated assistant, not a clinician. Please share only what's needed: " +
      "your messages are stored by the clinic to answer you and are deleted after the retention period.",
    privacyUrl: null,
    privacyLinkText: "Privacy notice",
    initPayload: "/greet",          // sent once when a new conversation is first opened; null for none
    openOnLoad: false,
    position: "right",              // or "left"
    token: null,                    // a JWT when the assistant requires one (jwt_key in credentials.yml)
    storageKey: "clinicChat"
  };
  var config = {};
  Object.keys(defaults).forEach(function (k) { config[k] = user[k] !== undefined ? user[k] : defaults[k]; });
  config.server = String(config.server).replace(/\/+$/, "");
  var title = config.title || (config.clinicName + " assistant");

  var palette = {
    primary: "#2f6f5e", primaryText: "#ffffff", background: "#ffffff", text: "#1f2a27",
    botBubble: "#eef3f1", botText: "#1f2a27", userBubble: "#2f6f5e", userText: "#ffffff", border: "#c9d6d1"
  };
  Object.keys(config.colors || {}).forEach(function (k) {
    var v = String(config.colors[k]);
    if (k in palette && window.CSS && CSS.supports && CSS.supports("color", v)) palette[k] = v;
  });
  // the client's bubbles follow the clinic's colour unless given their own
  var given = config.colors || {};
  if (given.primary && !given.userBubble) palette.userBubble = palette.primary;
  if (given.primaryText && !given.userText) palette.userText = palette.primaryText;

  // ---------- storage (the conversation id only) ----------
  var store = {
    get: function (k) { try { return localStorage.getItem(config.storageKey + "." + k); } catch (e) { return null; } },
    set: function (k, v) { try { localStorage.setItem(config.storageKey + "." + k, v); } catch (e) { /* private mode */ } },
    del: function (k) { try { localStorage.removeItem(config.storageKey + "." + k); } catch (e) { /* ignore */ } }
  };

  // ---------- safe markdown: text -> DOM nodes ----------
  var SAFE_SCHEMES = ["http:", "https:", "mailto:", "tel:"];
  var INLINE = /\[([^\]\n]+)\]\(([^)\s]+)\)|\*\*([^*\n]+)\*\*|__([^_\n]+)__|(^|[^\w*])\*([^*\n]+)\*(?![\w*])|(^|[^\w])_([^_\n]+)_(?!\w)|`([^`\n]+)`|(https?:\/\/[^\s<>()]*[^\s<>().,;:!?'"])/g;

  function safeHref(href) {
    try {
      var url = new URL(href, location.href);
      return SAFE_SCHEMES.indexOf(url.protocol) >= 0 ? url.href : null;
    } catch (e) { return null; }
  }

  function link(text, href) {
    var safe = safeHref(href);
    if (!safe) return document.createTextNode(text);
    var a = document.createElement("a");
    a.href = safe;
    a.textContent = text;
    if (/^https?:/.test(safe)) { a.target = "_blank"; a.rel = "noopener noreferrer nofollow"; }
    return a;
  }

  function inline(text, parent) {
    var last = 0, m;
    INLINE.lastIndex = 0;
    while ((m = INLINE.exec(text)) !== null) {
      var start = m.index, end = m.index + m[0].length, lead = "";
      if (m[5] !== undefined && m[6] !== undefined) lead = m[5];
      if (m[7] !== undefined && m[8] !== undefined) lead = m[7];
      parent.appendChild(document.createTextNode(text.slice(last, start) + lead));
      var el;
      if (m[1] !== undefined) el = link(m[1], m[2]);
      else if (m[3] !== undefined || m[4] !== undefined) { el = document.createElement("strong"); inline(m[3] || m[4], el); }
      else if (m[6] !== undefined || m[8] !== undefined) { el = document.createElement("em"); inline(m[6] || m[8], el); }
      else if (m[9] !== undefined) { el = document.createElement("code"); el.textContent = m[9]; }
      else el = link(m[10], m[10]);
      parent.appendChild(el);
      last = end;
      INLINE.lastIndex = end; // the nested calls above moved it
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderMarkdown(text) {
    var frag = document.createDocumentFragment();
    var list = null, para = null;
    String(text || "").split("\n").forEach(function (line) {
      var item = /^\s*(?:[-*•]|\d+[.)])\s+(.*)$/.exec(line);
      if (item) {
        if (!list) { list = document.createElement(/^\s*\d/.test(line) ? "ol" : "ul"); frag.appendChild(list); }
        var li = document.createElement("li");
        inline(item[1], li);
        list.appendChild(li);
        para = null;
        return;
      }
      list = null;
      if (!line.trim()) { para = null; return; }
      if (para) para.appendChild(document.createElement("br"));
      else { para = document.createElement("p"); frag.appendChild(para); }
      inline(line, para);
    });
    return frag;
  }

  // ---------- DOM ----------
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") el.textContent = attrs[k];
      else if (k === "class") el.className = attrs[k];
      else el.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) el.appendChild(c); });
    return el;
  }

  var CSS_TEXT = [
    ":host{all:initial;--cc-primary:" + palette.primary + ";--cc-primary-text:" + palette.primaryText +
      ";--cc-bg:" + palette.background + ";--cc-text:" + palette.text + ";--cc-bot:" + palette.botBubble +
      ";--cc-bot-text:" + palette.botText + ";--cc-user:" + palette.userBubble + ";--cc-user-text:" +
      palette.userText + ";--cc-border:" + palette.border + "}",
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}",
    ".sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    ".launcher{position:fixed;bottom:20px;" + (config.position === "left" ? "left" : "right") + ":20px;z-index:2147483000;" +
      "background:var(--cc-primary);color:var(--cc-primary-text);border:0;border-radius:28px;padding:14px 20px;font-size:16px;" +
      "cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,a:focus-visible,.log:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}",
    ".panel{position:fixed;bottom:84px;" + (config.position === "left" ? "left" : "right") + ":20px;z-index:2147483001;" +
      "width:380px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;" +
      "background:var(--cc-bg);color:var(--cc-text);border:1px solid var(--cc-border);border-radius:12px;overflow:hidden;" +
      "box-shadow:0 8px 30px rgba(0,0,0,.25);font-size:15px;line-height:1.45}",
    ".panel[hidden]{display:none}",
    ".head{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--cc-primary);color:var(--cc-primary-text)}",
    ".head h2{flex:1;margin:0;font-size:16px;font-weight:600}",
    ".head button{background:transparent;color:inherit;border:1px solid currentColor;border-radius:6px;padding:4px 8px;font-size:13px;cursor:pointer}",
    ".privacy{margin:0;padding:8px 14px;font-size:12.5px;background:#fff8e1;color:#3d3100;border-bottom:1px solid var(--cc-border)}",
    ".privacy a{color:inherit}",
    ".status{padding:4px 14px;font-size:12.5px;color:#7a3b00}",
    ".status:empty{display:none}",
    ".log{flex:1;overflow-y:auto;padding:12px 14px;display:flex;flex-direction:column;gap:8px}",
    ".msg{max-width:85%;padding:8px 12px;border-radius:12px;word-wrap:break-word;overflow-wrap:anywhere}",
    ".msg p{margin:0 0 6px}.msg p:last-child{margin:0}.msg ul,.msg ol{margin:4px 0;padding-left:20px}",
    ".msg code{background:rgba(0,0,0,.07);padding:0 3px;border-radius:3px}",
    ".bot{align-self:flex-start;background:var(--cc-bot);color:var(--cc-bot-text);border-bottom-left-radius:4px}",
    ".bot a{color:var(--cc-primary)}",
    ".who{align-self:flex-start;margin:0 0 -6px 4px;font-size:12.5px;font-weight:600;color:var(--cc-text)}",
    ".bot.staff{border-left:3px solid var(--cc-primary)}",
    ".user{align-self:flex-end;background:var(--cc-user);color:var(--cc-user-text);border-bottom-right-radius:4px;white-space:pre-wrap}",
    ".bot img{max-width:100%;border-radius:8px}",
    ".replies{display:flex;flex-wrap:wrap;gap:6px;align-self:flex-start}",
    ".replies button{background:var(--cc-bg);color:var(--cc-primary);border:1.5px solid var(--cc-primary);border-radius:16px;padding:6px 12px;font-size:14px;cursor:pointer}",
    ".replies button:hover{background:var(--cc-primary);color:var(--cc-primary-text)}",
    ".typing{align-self:flex-start;padding:8px 12px;background:var(--cc-bot);border-radius:12px}",
    ".typing[hidden]{display:none}",
    ".typing span{display:inline-block;width:7px;height:7px;margin:0 2px;border-radius:50%;background:#5f6f6a;animation:cc-blink 1.2s infinite}",
    ".typing span:nth-child(2){animation-delay:.2s}.typing span:nth-child(3){animation-delay:.4s}",
    "@keyframes cc-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}",
    "@media (prefers-reduced-motion:reduce){.typing span{animation:none}}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid var(--cc-border)}",
    "textarea{flex:1;resize:none;min-height:42px;max-height:120px;padding:10px;border:1px solid var(--cc-border);border-radius:8px;font-size:15px;color:var(--cc-text);background:var(--cc-bg)}",
    "form button{background:var(--cc-primary);color:var(--cc-primary-text);border:0;border-radius:8px;padding:0 16px;font-size:15px;cursor:pointer}",
    "form button:disabled{opacity:.5;cursor:default}",
    "@media (max-width:520px){.panel{inset:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0;bottom:0;right:0;left:0}" +
      ".launcher{bottom:14px}textarea{font-size:16px}}"
  ].join("\n");

  var host = h("div", { id: "clinic-chat", "data-clinic-chat": "" });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var ids = { panel: "cc-panel", title: "cc-title", input: "cc-input", privacy: "cc-privacy" };

  var launcher = h("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": ids.panel,
    "aria-label": config.launcherLabel + " (" + config.clinicName + ")", text: config.launcherLabel });
  // the accessible name starts with the visible text (WCAG 2.5.3, axe's label-content-name-mismatch)
  var newChat = h("button", { type: "button", class: "new", text: "New chat",
    "aria-label": "New chat: start a new conversation and forget this one on this device" });
  var close = h("button", { type: "button", class: "close", "aria-label": "Close chat", text: "✕" });
  var privacy = h("p", { class: "privacy", id: ids.privacy }, [document.createTextNode(config.privacyNotice + " ")]);
  if (config.privacyUrl && safeHref(config.privacyUrl)) privacy.appendChild(link(config.privacyLinkText, config.privacyUrl));
  var status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  var log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": "Conversation with " + title, tabindex: "0" });
  var typing = h("div", { class: "typing", role: "status", hidden: "" },
    [h("span", { "aria-hidden": "true" }), h("span", { "aria-hidden": "true" }), h("span", { "aria-hidden": "true" }),
     h("span", { class: "sr-only", text: title + " is typing" })]);
  var input = h("textarea", { id: ids.input, rows: "1", maxlength: "1000", placeholder: config.placeholder,
    "aria-describedby": ids.privacy, autocomplete: "off" });
  var send = h("button", { type: "submit", "aria-label": "Send message", text: "Send" });
  var form = h("form", { "aria-label": "Send a message" },
    [h("label", { class: "sr-only", for: ids.input, text: "Your message to " + title }), input, send]);
  var panel = h("div", { class: "panel", id: ids.panel, role: "dialog", "aria-modal": "false",
    "aria-labelledby": ids.title, hidden: "" },
    // a div, not <header>: the host page has its own banner landmark, one per page
    [h("div", { class: "head" }, [h("h2", { id: ids.title, text: title }), newChat, close]), privacy, status, log, form]);

  var style = h("style", { text: CSS_TEXT });
  root.appendChild(style);
  root.appendChild(launcher);
  root.appendChild(panel);

  // ---------- conversation ----------
  var socket = null;
  var sessionId = store.get("sessionId");
  var confirmed = false;
  var greeted = false;
  var typingTimer = null;

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function showTyping(on) {
    clearTimeout(typingTimer);
    if (on) {
      typing.hidden = false;
      log.appendChild(typing);
      typingTimer = setTimeout(function () { typing.hidden = true; }, 30000);
    } else {
      typing.hidden = true;
    }
    scrollDown();
  }

  function clearReplies() {
    Array.prototype.forEach.call(log.querySelectorAll(".replies"), function (g) { g.remove(); });
  }

  function addUser(text) {
    var el = h("div", { class: "msg user" }, [h("span", { class: "sr-only", text: "You said: " }), document.createTextNode(text)]);
    log.insertBefore(el, typing.parentNode === log ? typing : null);
    scrollDown();
  }

  function addBot(message) {
    if (!message || typeof message !== "object") return;
    // a person from the clinic wrote this (live hand-over): their first name above the bubble
    var who = typeof message.staff === "string" ? message.staff.trim().slice(0, 40) : "";
    var el = h("div", { class: "msg bot" + (who ? " staff" : "") },
      [h("span", { class: "sr-only", text: (who ? who + " from " + config.clinicName : title) + " said: " })]);
    if (message.text) el.appendChild(renderMarkdown(message.text));
    var image = message.attachment && message.attachment.payload && message.attachment.payload.src;
    if (image && safeHref(image)) el.appendChild(h("img", { src: safeHref(image), alt: "" }));
    if (el.childNodes.length > 1) {
      var before = typing.parentNode === log ? typing : null;
      if (who) log.insertBefore(h("div", { class: "who", "aria-hidden": "true", text: who }), before);
      log.insertBefore(el, before);
    }
    var replies = message.quick_replies || message.buttons;
    if (replies && replies.length) {
      clearReplies();
      var group = h("div", { class: "replies", role: "group", "aria-label": "Suggested replies" });
      replies.forEach(function (r) {
        var b = h("button", { type: "button", text: r.title || r.payload });
        b.addEventListener("click", function () {
          sendMessage(r.payload || r.title, r.title || r.payload);
          input.focus(); // the pressed button is gone with the replies: focus stays in the chat
        });
        group.appendChild(b);
      });
      log.insertBefore(group, typing.parentNode === log ? typing : null);
    }
    scrollDown();
  }

  function sendMessage(payload, display) {
    payload = String(payload || "").trim();
    if (!payload || !socket || !confirmed) return false;
    clearReplies();
    if (display) addUser(display);
    socket.emit("user_uttered", { message: payload.slice(0, 1000), session_id: sessionId });
    showTyping(true);
    return true;
  }

  function setStatus(text) {
    status.textContent = text;
    send.disabled = !!text;
  }

  function greetIfNew() {
    if (greeted || !confirmed || panel.hidden || !config.initPayload) return;
    if (log.querySelector(".msg")) { greeted = true; return; }
    greeted = true;
    sendMessage(config.initPayload, null);
  }

  function connect() {
    if (socket) return;
    if (typeof window.io !== "function") { setStatus("The chat could not load. Please call the clinic."); return; }
    setStatus("Connecting…");
    var options = { path: config.socketPath, reconnectionDelayMax: 10000 };
    if (config.token) options.auth = { token: config.token };
    socket = window.io(config.server, options);
    socket.on("connect", function () {
      confirmed = false;
      socket.emit("session_request", { session_id: sessionId });
    });
    socket.on("session_confirm", function (id) {
      var id_ = typeof id === "string" ? id : (id && id.session_id);
      // the same conversation: the assistant sends its history next
      var resumed = !!sessionId && id_ === sessionId;
      if (!resumed) { log.replaceChildren(); greeted = false; }
      sessionId = id_;
      store.set("sessionId", sessionId);
      confirmed = true;
      setStatus("");
      host.setAttribute("data-state", "ready");
      if (!resumed) greetIfNew();
    });
    socket.on("history", function (messages) {
      log.replaceChildren();
      (messages || []).forEach(function (m) { if (m.sender === "user") addUser(m.text); else addBot(m); });
      greeted = greeted || (messages || []).length > 0;
      greetIfNew();
    });
    socket.on("bot_uttered", function (message) { showTyping(false); addBot(message); });
    socket.on("bot_typing", function (data) { showTyping(!!(data && data.typing)); });
    socket.on("disconnect", function () { confirmed = false; showTyping(false); setStatus("Reconnecting…"); });
    socket.on("connect_error", function () { setStatus("Can't reach the assistant right now. Retrying…"); });
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    store.set("open", "1");
    connect();
    greetIfNew();
    setTimeout(function () { input.focus(); }, 0);
  }

  function shut() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    store.del("open");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else shut(); });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.preventDefault(); shut(); } });
  newChat.addEventListener("click", function () {
    store.del("sessionId");
    sessionId = null;
    log.replaceChildren();
    greeted = false;
    if (socket && socket.connected) { confirmed = false; socket.emit("session_request", { session_id: null }); }
    input.focus();
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (text && sendMessage(text, text)) { input.value = ""; }
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });

  function loadSocketIo(done) {
    if (typeof window.io === "function") return done();
    var s = document.createElement("script");
    s.src = scriptBase + "vendor/socket.io.min.js";
    s.async = true;
    s.onload = done;
    s.onerror = function () { setStatus("The chat could not load. Please call the clinic."); };
    document.head.appendChild(s);
  }

  function mount() {
    document.body.appendChild(host);
    loadSocketIo(function () {
      if (config.openOnLoad || store.get("open") === "1") open();
    });
  }

  window.ClinicChat = { mounted: true, open: open, close: shut, renderMarkdown: renderMarkdown, config: config };
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
