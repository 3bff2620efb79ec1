/* The staff console's only script (CSP: script-src 'self', no inline code).
   Pages work without it; here the inbox refreshes itself and a conversation
   shows the client's new messages and sends replies without a reload.
   Text is put into the page with textContent, never innerHTML. */
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function getJson(url) {
    // X-Background: polling does not count as activity for the idle timeout
    return fetch(url, { headers: { "Accept": "application/json", "X-Background": "1" }, credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { window.location.assign("/login"); throw new Error("signed out"); }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      });
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error(data.error || ("HTTP " + r.status)); }
        return data;
      });
    });
  }

  function message(m) {
    var p = document.createElement("p");
    p.className = "msg from-" + m.from;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = m.from === "client" ? "Client" : (m.from === "staff" ? (m.name || "Staff") : "Assistant");
    p.appendChild(who);
    p.appendChild(document.createTextNode(m.text));
    return p;
  }

  function conversation(log) {
    var url = log.getAttribute("data-poll");
    var shown = log.querySelectorAll(".msg").length;
    var status = document.getElementById("send-status");
    function refresh() {
      return getJson(url).then(function (view) {
        var messages = view.messages || [];
        for (var i = shown; i < messages.length; i++) { log.appendChild(message(messages[i])); }
        if (messages.length !== shown) { log.scrollTop = log.scrollHeight; }
        shown = messages.length;
      }).catch(function () { /* the next poll tries again */ });
    }
    window.setInterval(refresh, 2000);
    var form = document.getElementById("send-form");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var box = form.querySelector("textarea");
        var text = box.value.trim();
        if (!text) { return; }
        var button = form.querySelector("button");
        button.disabled = true;
        postJson("/api/handovers/" + log.getAttribute("data-handover") + "/messages", { text: text })
          .then(function () { box.value = ""; status.textContent = "Sent."; return refresh(); })
          .catch(function (error) { status.textContent = "Not sent: " + error.message; })
          .then(function () { button.disabled = false; box.focus(); });
      });
    }
  }

  function inbox(list) {
    var known = null;
    window.setInterval(function () {
      getJson(list.getAttribute("data-poll")).then(function (data) {
        var ids = (data.items || []).map(function (h) { return h.id + ":" + h.status; }).join(",");
        if (known !== null && ids !== known) { window.location.reload(); }
        known = ids;
      }).catch(function () {});
    }, 3000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var log = document.getElementById("transcript");
    if (log) { log.scrollTop = log.scrollHeight; conversation(log); }
    var list = document.getElementById("inbox-list");
    if (list) { inbox(list); }
  });
})();
