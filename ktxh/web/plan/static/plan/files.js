// File inputs of the administrator's and the planner's forms (a new plan, a review
// workbook sent back): the input's own button reads in the browser's language
// ("Choose File"), so it is hidden and a Vietnamese label opens it; the name of the file
// chosen is shown beside it (the element named by the input's data-names).
(function () {
  "use strict";
  document.querySelectorAll(".file-pick input[type=file][data-names]").forEach((input) => {
    const names = document.getElementById(input.dataset.names);
    if (!names) return;
    function show() {
      const files = Array.from(input.files || []);
      names.textContent = files.length ? `Đã chọn: ${files.map((f) => f.name).join(", ")}`
        : "Chưa chọn tệp nào.";
    }
    input.addEventListener("change", show);
    show();
  });
})();
