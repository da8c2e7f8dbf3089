// 导入文档: before the batch is sent, each chosen file is checked on its own (read, cases found)
// and its line shows the result as it comes — progress per document. Only when every file reads
// does the form go on to import the batch; without JavaScript the form posts as it is.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("[data-testid=ingest-form]");
  var list = document.querySelector("[data-testid=ingest-progress]");
  if (!form || !list || !window.fetch || !window.FormData) return;
  form.addEventListener("submit", function (ev) {
    if (form.dataset.checked === "1") return;
    ev.preventDefault();
    var files = Array.prototype.slice.call(form.querySelector("input[type=file]").files);
    var csrf = form.querySelector("input[name=csrf_token]").value;
    var button = form.querySelector("[type=submit]");
    button.disabled = true;
    list.textContent = "";
    var failed = 0;
    var step = function (i) {
      if (i >= files.length) {
        button.disabled = false;
        var last = document.createElement("li");
        if (failed) {
          last.className = "bad";
          last.textContent = "有 " + failed + " 个文件无法读取：请处理后重新选择（没有导入任何内容）";
          list.appendChild(last);
          return;
        }
        last.textContent = "全部可以读取，正在导入…";
        list.appendChild(last);
        form.dataset.checked = "1";
        form.submit();
        return;
      }
      var li = document.createElement("li");
      li.setAttribute("data-testid", "ingest-progress-item");
      li.textContent = files[i].name + "：识别中…（" + (i + 1) + "/" + files.length + "）";
      list.appendChild(li);
      var body = new FormData();
      body.append("csrf_token", csrf);
      body.append("file", files[i]);
      fetch("/admin/ingest/check", {method: "POST", body: body, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (j) {
          li.className = j.ok ? "ok" : "bad";
          li.textContent = (j.ok ? "✓ " : "✗ ") + j.message;
          if (!j.ok) failed += 1;
        })
        .catch(function () { li.className = "bad"; li.textContent = "✗ " + files[i].name + "：检查失败"; failed += 1; })
        .then(function () { step(i + 1); });
    };
    step(0);
  });
});
