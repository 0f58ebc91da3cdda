import { ApiError, param, signIn } from "./api.js";

const form = document.getElementById("sign-in");
document.getElementById("sign-out").hidden = true;
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("sign-in-error");
  error.textContent = "";
  try {
    await signIn(form.username.value, form.password.value);
    const next = param("next");
    location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/w/queue");
  } catch (err) {
    error.textContent = err instanceof ApiError ? err.message : String(err);
  }
});
