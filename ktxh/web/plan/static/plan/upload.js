// The upload page: the file input's own button reads in the browser's language
// ("Choose Files"), so it is hidden and a Vietnamese label opens it; the names of the
// files chosen are listed beside it.
(function () {
  "use strict";
  const input = document.getElementById("tep");
  const names = document.getElementById("tep-names");
  if (!input || !names) return;
  const fmt = new Intl.NumberFormat("vi-VN");
  function show() {
    const files = Array.from(input.files || []);
    if (!files.length) { names.textContent = "Chưa chọn tệp nào."; return; }
    const list = files.slice(0, 5).map((f) => f.name).join(", ");
    names.textContent = files.length === 1 ? `Đã chọn: ${list}` :
      `Đã chọn ${fmt.format(files.length)} tệp: ${list}${files.length > 5 ? ", …" : ""}`;
  }
  input.addEventListener("change", show);
  show();
})();
