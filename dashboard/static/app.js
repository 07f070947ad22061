// The dashboard works without this script; it adds the copy buttons.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.copy").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var input = document.getElementById(btn.dataset.copy);
      var status = btn.closest(".secret").querySelector(".copied");
      input.select();
      var done = function () { status.textContent = "Copied to the clipboard."; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          status.textContent = "Copy failed: select the key and copy it by hand.";
        });
      } else if (document.execCommand && document.execCommand("copy")) {
        done();
      } else {
        status.textContent = "Select the key and copy it by hand.";
      }
    });
  });
});
