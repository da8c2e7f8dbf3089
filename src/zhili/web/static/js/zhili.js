// zhili web: small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // 四个引领 tabs: show only the result cards of one dimension.
  function initTabs() {
    var tabs = document.querySelectorAll(".tabs .tab");
    if (!tabs.length) return;
    var cards = document.querySelectorAll(".result[data-lead]");
    var empty = document.querySelector(".empty-tab");
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () {
        var dim = tab.getAttribute("data-tab");
        var shown = 0;
        tabs.forEach(function (t) {
          t.classList.toggle("on", t === tab);
          t.setAttribute("aria-selected", t === tab ? "true" : "false");
        });
        cards.forEach(function (card) {
          var leads = (card.getAttribute("data-lead") || "").split(" ");
          var show = !dim || leads.indexOf(dim) >= 0;
          card.hidden = !show;
          if (show) shown += 1;
        });
        if (empty) empty.hidden = shown > 0;
      });
    });
  }

  // Feedback buttons post in the background and say it was recorded.
  function initFeedback() {
    document.querySelectorAll("form[data-feedback]").forEach(function (form) {
      var clicked = null;  // for browsers without SubmitEvent.submitter
      form.querySelectorAll("button").forEach(function (b) {
        b.addEventListener("click", function () { clicked = b; });
      });
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var button = ev.submitter || clicked;
        var data = new FormData(form);
        if (button && button.name) data.append(button.name, button.value);
        var status = form.querySelector(".fb-status");
        status.textContent = "提交中……";
        fetch(form.action, {
          method: "POST", body: data, credentials: "same-origin",
          headers: { "Accept": "application/json", "X-CSRF-Token": data.get("csrf_token") || "" }
        }).then(function (res) {
          return res.json().catch(function () { return { ok: false, message: "提交失败（" + res.status + "）" }; });
        }).then(function (body) {
          status.textContent = body.message || (body.ok ? "已记录" : "提交失败");
          status.style.color = body.ok ? "" : "#8c1d18";
          if (body.ok) {
            form.querySelectorAll("button").forEach(function (b) { b.classList.toggle("done", b === button); });
          }
        }).catch(function () {
          status.textContent = "网络错误，未能提交";
          status.style.color = "#8c1d18";
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initTabs();
    initFeedback();
  });
})();
