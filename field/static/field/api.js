// Requests to the server's API (/api/v1/) with the device's token. A request that cannot
// reach the server throws Offline; an answer other than 2xx throws HttpError with its body.

export class Offline extends Error {}

export class HttpError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function request(method, path, { token = null, body = undefined, headers = {} } = {}) {
  const init = {
    method,
    headers: { Accept: "application/json", ...headers },
    cache: "no-store",
    credentials: "omit",
  };
  if (token) init.headers.Authorization = `Token ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  let text;
  try {
    response = await fetch(`/api/v1/${path}`, init);
    text = await response.text();
  } catch (error) {
    throw new Offline(error.message);
  }
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (_) {
      data = { detail: text.slice(0, 200) };
    }
  }
  if (!response.ok) throw new HttpError(response.status, data);
  return data;
}

// A refusal's reason in one line: `detail`, or each bad field with its messages.
export function reasonOf(body) {
  if (!body || typeof body !== "object") return String(body || "Refused");
  if (body.detail) return String(body.detail);
  return Object.entries(body)
    .map(([field, messages]) => `${field}: ${[].concat(messages).map((m) => (typeof m === "object" ? JSON.stringify(m) : m)).join(" ")}`)
    .join("; ");
}
