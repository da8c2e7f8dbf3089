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

  // The filters fold away under the results on a phone; a wide screen has room to show them.
  function initFilters() {
    var box = document.querySelector("details[data-filters]");
    if (box && window.matchMedia && window.matchMedia("(min-width: 601px)").matches) box.open = true;
  }

  // 展开 under a card only where its text is actually cut off.
  function initClamps() {
    document.querySelectorAll(".result").forEach(function (card) {
      var label = card.querySelector("[data-more]");
      if (!label) return;
      var cut = Array.prototype.some.call(card.querySelectorAll(".clamp"), function (el) {
        return el.scrollHeight > el.clientHeight + 1;
      });
      label.hidden = !cut;
    });
  }

  // 收藏 buttons toggle in the background; without this file they post and come back.
  function initStars() {
    document.querySelectorAll("form[data-star]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var button = form.querySelector("button[name=action]");
        var data = new FormData(form);
        data.append("action", button.value);
        button.disabled = true;
        // not form.action: the button named "action" shadows that property
        fetch(form.getAttribute("action"), {
          method: "POST", body: data, credentials: "same-origin",
          headers: { "Accept": "application/json", "X-CSRF-Token": data.get("csrf_token") || "" }
        }).then(function (res) {
          return res.json().catch(function () { return { ok: false, message: "操作失败（" + res.status + "）" }; });
        }).then(function (body) {
          button.disabled = false;
          if (!body.ok) { button.title = body.message || "操作失败"; window.alert(button.title); return; }
          var on = !!body.starred;
          button.value = on ? "remove" : "add";
          button.classList.toggle("on", on);
          button.setAttribute("aria-pressed", on ? "true" : "false");
          button.title = on ? "取消收藏" : "收藏这个案例";
          button.textContent = on ? "★ 已收藏" : "☆ 收藏";
        }).catch(function () {
          button.disabled = false;
          window.alert("网络错误，未能保存收藏");
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initTabs();
    initFeedback();
    initFilters();
    initClamps();
    initStars();
  });
})();
