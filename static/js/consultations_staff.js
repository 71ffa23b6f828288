// Triage page: a « select all » box for the bulk form (the page works without it).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.querySelector("[data-select-all]");
  const form = document.getElementById("bulk-form");
  if (!all || !form) return;
  const boxes = () => Array.from(form.querySelectorAll('input[type="checkbox"][name="ids"]'));
  const sync = () => {
    const list = boxes();
    const checked = list.filter((box) => box.checked).length;
    all.checked = list.length > 0 && checked === list.length;
    all.indeterminate = checked > 0 && checked < list.length;
  };
  const header = all.closest("th");
  header.querySelector("[data-select-none]")?.remove();
  header.querySelector("[data-select-all-label]").hidden = false;
  all.hidden = false;
  all.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = all.checked; });
  });
  form.addEventListener("change", (event) => {
    if (event.target !== all) sync();
  });
  sync();
});
