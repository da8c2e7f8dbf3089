// zhili 案例库管理: small enhancements of the admin forms. Every page works without this file
// (the server checks everything again and answers in Chinese); it only makes the forms nicer.
(function () {
  "use strict";

  // The browser's own messages ("Please fill out this field.", "Please match the requested
  // format.") follow the browser's language, not the page's: say it in Chinese instead.
  function fieldName(el) {
    return el.getAttribute("data-label") || el.getAttribute("aria-label") || el.name || "此项";
  }

  function messageFor(el) {
    var v = el.validity;
    if (v.valueMissing) {
      return el.type === "file" ? "请选择" + fieldName(el) : "请填写“" + fieldName(el) + "”";
    }
    if (v.patternMismatch) {
      return el.getAttribute("data-pattern-message") || el.title || "“" + fieldName(el) + "”的格式不正确";
    }
    if (v.tooLong) return "“" + fieldName(el) + "”过长，最多 " + el.maxLength + " 个字符";
    if (v.typeMismatch || v.badInput) return "“" + fieldName(el) + "”的格式不正确";
    return "";
  }

  function initValidation() {
    document.querySelectorAll("form input, form textarea, form select").forEach(function (el) {
      if (!el.required && !el.pattern) return;
      el.addEventListener("invalid", function () {
        el.setCustomValidity("");  // the validity flags now describe the value alone
        var message = messageFor(el);
        if (message) el.setCustomValidity(message);
      });
      ["input", "change"].forEach(function (type) {
        el.addEventListener(type, function () { el.setCustomValidity(""); });
      });
    });
  }

  // 成效 rows: add and remove rows; without JavaScript the form shows a few empty rows instead.
  function renumber(box) {
    box.querySelectorAll(".outcome-row").forEach(function (row, i) {
      row.querySelectorAll("input, textarea").forEach(function (el) {
        var label = el.getAttribute("aria-label") || "";
        el.setAttribute("aria-label", label.replace(/第 \d+ 行/, "第 " + (i + 1) + " 行"));
      });
    });
  }

  function clear(row) {
    row.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; });
  }

  function wireRemove(box, row) {
    var button = row.querySelector("[data-remove-row]");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var rows = box.querySelectorAll(".outcome-row");
      if (rows.length > 1) {
        var next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        renumber(box);
        if (next) next.querySelector("input").focus();
      } else {
        clear(row);
        row.querySelector("input").focus();
      }
    });
  }

  function initOutcomes() {
    document.querySelectorAll("[data-outcomes]").forEach(function (box) {
      var list = box.querySelector(".outcome-rows");
      var add = box.querySelector("[data-add-row]");
      if (!list || !add) return;
      list.querySelectorAll(".outcome-row").forEach(function (row) { wireRemove(box, row); });
      add.hidden = false;
      add.addEventListener("click", function () {
        var rows = list.querySelectorAll(".outcome-row");
        var row = rows[rows.length - 1].cloneNode(true);
        clear(row);
        list.appendChild(row);
        wireRemove(box, row);
        renumber(box);
        row.querySelector("input").focus();
      });
    });
  }

  // Case list: 全选本页 and how many are picked for 批量发布 / 批量撤回.
  function initBulk() {
    var form = document.querySelector("form[data-bulk]");
    if (!form) return;
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input[type=checkbox][form=" + form.id + "]"));
    var all = document.querySelector("[data-select-all]");
    var count = form.querySelector("[data-selected-count]");
    function update() {
      var n = boxes.filter(function (b) { return b.checked; }).length;
      if (count) count.textContent = n ? "已选 " + n + " 个" : "勾选案例后可批量操作";
      if (all) {
        all.checked = n > 0 && n === boxes.length;
        all.indeterminate = n > 0 && n < boxes.length;
      }
    }
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    if (all && boxes.length) {
      all.hidden = false;
      all.addEventListener("change", function () {
        boxes.forEach(function (b) { b.checked = all.checked; });
        update();
      });
    }
    form.addEventListener("submit", function (ev) {
      if (!boxes.some(function (b) { return b.checked; })) {
        ev.preventDefault();
        if (count) {
          count.textContent = "请先勾选要操作的案例";
          count.classList.add("warn");
        }
      }
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    initValidation();
    initOutcomes();
    initBulk();
  });
})();
