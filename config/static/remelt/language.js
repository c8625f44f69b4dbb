// The language switcher submits as soon as a language is chosen (its button is for pages without scripts).
document.querySelectorAll("form.language select").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
  const button = select.form.querySelector("button");
  if (button) button.hidden = true;
});
