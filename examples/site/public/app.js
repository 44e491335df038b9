// The page's script: talks to the JSON API, the WebSocket echo and the JSON
// echo, and writes what came back into the page (the browser test reads it).
"use strict";

function show(id, text, ok) {
  const element = document.getElementById(id);
  element.textContent = text;
  element.className = ok ? "ok" : "failed";
}

async function fetchTime() {
  const response = await fetch("/api/time");
  if (!response.ok) throw new Error(`GET /api/time answered ${response.status}`);
  const body = await response.json();
  show("time", `Server time: ${body.iso}`, true);
}

function echoOverWebSocket() {
  return new Promise((resolve, reject) => {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws`);
    let echoed = false;
    socket.onopen = () => socket.send("hello over WebSocket");
    socket.onmessage = (event) => {
      echoed = true;
      show("ws", `Echo: ${event.data}`, true);
      socket.close(1000, "done");
      resolve();
    };
    // No timer of our own: a closed or failed connection ends the wait.
    socket.onclose = (event) => {
      if (!echoed) reject(new Error(`closed before the echo (code ${event.code})`));
    };
  });
}

async function echoJson() {
  const sent = { greeting: "hello from the browser", numbers: [1, 2, 3] };
  const response = await fetch("/api/echo", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(sent),
  });
  if (!response.ok) throw new Error(`POST /api/echo answered ${response.status}`);
  show("echo", `Echoed: ${JSON.stringify(await response.json())}`, true);
}

async function main() {
  const steps = { time: fetchTime, ws: echoOverWebSocket, echo: echoJson };
  const results = await Promise.allSettled(
    Object.entries(steps).map(([id, step]) =>
      step().catch((error) => {
        show(id, `Error: ${error.message}`, false);
        throw error;
      })
    ),
  );
  const status = document.getElementById("status");
  const failed = results.filter((r) => r.status === "rejected").length;
  status.dataset.state = failed === 0 ? "done" : "failed";
  status.textContent = failed === 0 ? "All done." : `${failed} of 3 failed.`;
}

main();
