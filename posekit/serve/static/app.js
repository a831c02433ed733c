// posekit's page: posts the chosen image to /v1/pose (or a video to /v1/track) and draws the
// answer's keypoints on a canvas in the browser. Plain JavaScript: no build step, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);
const canvas = $("canvas"), ctx = canvas.getContext("2d"), video = $("video");
const COLOURS = ["#e63946", "#2a9d8f", "#e9c46a", "#457b9d", "#f4a261", "#8338ec", "#06d6a0", "#ff006e"];
let last = null;  // {kind: "image", bitmap, answer} or {kind: "video", result}

$("token").value = localStorage.getItem("posekit-token") || "";
$("token").addEventListener("change", () => { localStorage.setItem("posekit-token", $("token").value); loadModels(); });
$("threshold").addEventListener("input", () => {
  $("threshold-value").value = Number($("threshold").value).toFixed(2);
  if (last && last.kind === "image") drawImage(last.bitmap, last.answer);
  if (last) fillTable();
});

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if ($("token").value) h["Authorization"] = "Bearer " + $("token").value;
  return h;
}

function status(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function errorOf(response) {
  try { return (await response.json()).error || response.statusText; } catch (e) { return response.statusText; }
}

async function loadModels() {
  fetch("/healthz").then((r) => r.json()).then((h) => { $("health").textContent = "posekit " + h.version + " · " + h.model; })
    .catch(() => { $("health").textContent = "server unreachable"; });
  const r = await fetch("/v1/models", {headers: headers()});
  const select = $("model");
  select.innerHTML = "";
  if (!r.ok) { status("models: " + await errorOf(r), true); return; }
  const models = await r.json();
  for (const name of models.allowed) {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name + (name === models.default ? " (default)" : "");
    select.appendChild(option);
  }
  select.value = models.default;
}

function query(extra) {
  const q = new URLSearchParams({model: $("model").value || "", threshold: $("threshold").value});
  if ($("accurate").checked) q.set("accurate", "true");
  if (!q.get("model")) q.delete("model");
  for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
  return q.toString();
}

async function handle(file) {
  if (!file) return;
  if (file.type.startsWith("video/")) return handleVideo(file);
  status("estimating " + file.name + " …");
  const started = performance.now();
  const response = await fetch("/v1/pose?" + query(), {method: "POST", body: file,
    headers: headers({"Content-Type": file.type || "application/octet-stream"})});
  const roundTrip = performance.now() - started;
  if (!response.ok) { status(file.name + ": " + response.status + " " + await errorOf(response), true); return; }
  const answer = await response.json();
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, {imageOrientation: "from-image"});
  } catch (e) { status("the browser cannot show this image; the server's answer is in the table", true); }
  video.hidden = true; video.pause();
  last = {kind: "image", bitmap, answer};
  if (bitmap) drawImage(bitmap, answer);
  fillTable();
  showTiming(Object.assign({}, answer.timing, {"browser round trip_ms": roundTrip.toFixed(1)}));
  status(file.name + ": " + answer.people.length + " people" + (answer.notes.length ? " (" + answer.notes.join(", ") + ")" : ""));
}

function drawPeople(people, limbs, threshold, scale, ids) {
  people.forEach((p, i) => {
    const colour = COLOURS[(ids ? ids[i] : i) % COLOURS.length];
    ctx.lineWidth = Math.max(2, 3 * scale);
    ctx.strokeStyle = colour; ctx.fillStyle = colour;
    for (const [a, b] of limbs) {
      if (p.scores[a] < threshold || p.scores[b] < threshold) continue;
      ctx.beginPath();
      ctx.moveTo(p.keypoints[a][0], p.keypoints[a][1]);
      ctx.lineTo(p.keypoints[b][0], p.keypoints[b][1]);
      ctx.stroke();
    }
    p.keypoints.forEach(([x, y], k) => {
      if (p.scores[k] < threshold) return;
      ctx.beginPath(); ctx.arc(x, y, Math.max(3, 4 * scale), 0, 2 * Math.PI); ctx.fill();
    });
    if (p.box) {
      ctx.lineWidth = 1; ctx.strokeRect(p.box[0], p.box[1], p.box[2], p.box[3]);
      ctx.font = Math.round(14 * Math.max(1, scale)) + "px sans-serif";
      ctx.fillText((ids ? "#" + ids[i] : "") + " " + p.score.toFixed(2), p.box[0] + 2, p.box[1] - 4);
    }
  });
}

function drawImage(bitmap, answer) {
  canvas.width = answer.width; canvas.height = answer.height;
  ctx.drawImage(bitmap, 0, 0, answer.width, answer.height);
  drawPeople(answer.people, answer.limbs, Number($("threshold").value), answer.width / 640);
}

function fillTable() {
  const head = $("keypoints").tHead, body = $("keypoints").tBodies[0];
  const threshold = Number($("threshold").value);
  head.innerHTML = ""; body.innerHTML = "";
  let people, names, label;
  if (last.kind === "image") {
    people = last.answer.people; names = last.answer.keypoint_names; label = (i) => "person " + i;
  } else {  // the first frame of each track
    const first = new Map();
    for (const rec of last.result.tracks) if (!first.has(rec.track_id)) first.set(rec.track_id, rec);
    people = [...first.values()].map(recordToPerson);
    names = last.result.keypoint_names;
    label = (i) => "track " + people[i].track_id + " (frame " + people[i].frame_id + ")";
  }
  const row = head.insertRow();
  for (const t of ["", "score", ...names]) { const th = document.createElement("th"); th.textContent = t; row.appendChild(th); }
  people.forEach((p, i) => {
    const tr = body.insertRow();
    tr.insertCell().textContent = label(i);
    tr.insertCell().textContent = p.score.toFixed(2);
    p.keypoints.forEach(([x, y], k) => {
      const td = tr.insertCell();
      td.textContent = x.toFixed(0) + ", " + y.toFixed(0) + " (" + p.scores[k].toFixed(2) + ")";
      if (p.scores[k] < threshold) td.className = "low";
    });
  });
}

function showTiming(timing) {
  const table = $("timing");
  table.innerHTML = "";
  for (const [k, v] of Object.entries(timing)) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k.replace(/_ms$/, "").replace(/_/g, " ");
    tr.insertCell().textContent = (typeof v === "number" ? v.toFixed(1) : v) + (k.endsWith("_ms") ? " ms" : "");
  }
}

function recordToPerson(rec) {
  const keypoints = [], scores = [];
  for (let i = 0; i < rec.keypoints.length; i += 3) {
    keypoints.push([rec.keypoints[i], rec.keypoints[i + 1]]); scores.push(rec.keypoints[i + 2]);
  }
  return {keypoints, scores, box: rec.bbox, score: rec.score, track_id: rec.track_id, frame_id: rec.frame_id};
}

async function handleVideo(file) {
  status("uploading " + file.name + " …");
  const started = performance.now();
  const response = await fetch("/v1/track", {method: "POST", body: file,  // the tracking default model
    headers: headers({"Content-Type": file.type || "application/octet-stream"})});
  if (!response.ok) { status(file.name + ": " + response.status + " " + await errorOf(response), true); return; }
  const job = await response.json();
  let state;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const r = await fetch("/v1/jobs/" + job.id, {headers: headers()});
    if (!r.ok) { status("job " + job.id + ": " + await errorOf(r), true); return; }
    state = await r.json();
    if (state.status === "done" || state.status === "failed") break;
    status(file.name + ": " + state.status + ", frame " + state.frames_done + (state.frames ? " of " + state.frames : ""));
  }
  if (state.status === "failed") { status(file.name + ": " + state.error, true); return; }
  const result = state.result;
  last = {kind: "video", result};
  const byFrame = new Map();
  for (const rec of result.tracks) {
    if (!byFrame.has(rec.frame_id)) byFrame.set(rec.frame_id, []);
    byFrame.get(rec.frame_id).push(recordToPerson(rec));
  }
  video.src = URL.createObjectURL(file);
  video.hidden = false;
  canvas.width = result.width; canvas.height = result.height;
  const draw = () => {
    const frame = Math.min(result.frames - 1, Math.floor(video.currentTime * result.fps));
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const people = byFrame.get(frame) || [];
    drawPeople(people, result.limbs, Number($("threshold").value), result.width / 640, people.map((p) => p.track_id));
    if (!video.paused && !video.ended) requestAnimationFrame(draw);
  };
  video.onplay = draw; video.onseeked = draw; video.onloadeddata = draw;
  video.play().catch(() => {});
  fillTable();
  showTiming({"frames": result.frames, "tracks": result.tracks_count, "tracking_ms": result.seconds * 1000,
              "browser total_ms": performance.now() - started});
  status(file.name + ": " + result.frames + " frames, " + result.tracks_count + " tracks");
}

$("file").addEventListener("change", (e) => handle(e.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); handle(e.dataTransfer.files[0]); });
loadModels();
