// The SegSam viewer: NiiVue shows the volume on the server's RAS+ grid (GET .../view/image.nii.gz),
// so NiiVue's voxel indices are the server's; a drag or click on a slice becomes a prompt in that
// slice's pixels (the mapping of SliceGeometry.VoxelIndex), and the answer's mask (RLE) is drawn
// into NiiVue's drawing layer. Accepted objects come back as a label volume with a colour table.
'use strict';

const api = '/api/v1';
const $ = (id) => document.getElementById(id);
const AXES = ['sagittal', 'coronal', 'axial'];           // server axis numbers 0, 1, 2
const axisOfTile = (axCorSag) => 2 - axCorSag;           // NiiVue: 0 axial, 1 coronal, 2 sagittal
const CURRENT_PEN = 255;                                 // drawing value of the current object (red)

const state = {
  info: null, volume: null, object: null, labels: null, busy: false, job: null,
  lastBox: null, lastPrompt: null, errors: [],
};
let nv = null, NV = null, labelBitmap = null;

// ---- helpers -------------------------------------------------------------------------------

function status(text, error = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', error);
  if (error) state.errors.push(text);
}

function headers(extra = {}) {
  const token = sessionStorage.getItem('segsam-token');
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

/** fetch with the bearer token (asked once on 401); problem+json answers become errors with their detail. */
async function call(method, path, body, raw = false) {
  for (let attempt = 0; ; attempt++) {
    const init = { method, headers: headers() };
    if (body instanceof Blob || body instanceof ArrayBuffer) init.body = body;
    else if (body !== undefined) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
    const r = await fetch(path.startsWith('/') ? path : `${api}/${path}`, init);
    if (r.status === 401 && attempt === 0) {
      const token = prompt('This server needs its token (segsam serve --token):');
      if (token) { sessionStorage.setItem('segsam-token', token); continue; }
    }
    if (!r.ok) {
      let detail = `${r.status} ${r.statusText}`;
      try { const p = await r.json(); detail = p.detail || p.title || detail; } catch { /* not JSON */ }
      throw new Error(detail);
    }
    if (raw) return r;
    return r.status === 204 ? null : r.json();
  }
}

async function guarded(label, work) {
  if (state.busy) return;
  state.busy = true;
  document.body.style.cursor = 'progress';
  try {
    status(label + '…');
    await work();
  } catch (e) {
    status(`${label}: ${e.message}`, true);
    console.error(e);
  } finally {
    state.busy = false;
    document.body.style.cursor = '';
    updateButtons();
  }
}

/** A colour per label value (golden-angle hues), the same in the overlay and the legend. */
function colourOf(label) {
  const h = (label * 137.508) % 360, s = 0.72, l = label % 2 ? 0.55 : 0.45;
  const f = (n) => { const k = (n + h / 30) % 12; return l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1)); };
  return [f(0), f(8), f(4)].map((v) => Math.round(v * 255));
}

// ---- slice pixels <-> voxels (SliceGeometry.VoxelIndex on the RAS+ grid) -----------------

function dims() { return state.volume.dims; }

function voxelOf(axis, index, r, c) {
  const [nx, ny, nz] = dims();
  if (axis === 2) return [nx - 1 - c, ny - 1 - r, index];
  if (axis === 1) return [nx - 1 - c, index, nz - 1 - r];
  return [index, c, nz - 1 - r];
}

function pixelOf(axis, v) {
  const [nx, ny, nz] = dims();
  if (axis === 2) return { r: ny - 1 - v[1], c: nx - 1 - v[0] };
  if (axis === 1) return { r: nz - 1 - v[2], c: nx - 1 - v[0] };
  return { r: nz - 1 - v[2], c: v[1] };
}

function clampVoxel(v) {
  return v.map((x, i) => Math.max(0, Math.min(dims()[i] - 1, Math.round(x))));
}

/** Canvas (CSS pixel) position → {axis, voxel} of a 2D slice tile, or null off the slices. */
function hit(x, y) {
  const dpr = nv.uiData.dpr || 1;
  const tile = nv.tileIndex(x * dpr, y * dpr);
  if (tile < 0 || !nv.screenSlices[tile]) return null;
  const axCorSag = nv.screenSlices[tile].axCorSag;
  if (axCorSag < 0 || axCorSag > 2) return null;
  const frac = nv.canvasPos2frac([x * dpr, y * dpr]);
  if (frac[0] < 0) return null;
  return { axis: axisOfTile(axCorSag), axCorSag, voxel: clampVoxel(Array.from(nv.frac2vox(frac))) };
}

// ---- NiiVue ---------------------------------------------------------------------------------

function webgl2() {
  try { return !!document.createElement('canvas').getContext('webgl2'); } catch { return false; }
}

async function startNiiVue() {
  try {
    NV = await import('./niivue/niivue.js');
  } catch (e) {
    status('NiiVue is missing: run scripts/setup.sh (npm ci in src/SegSam.Server) and rebuild the server', true);
    $('empty').textContent = 'NiiVue is missing (niivue/niivue.js): run scripts/setup.sh and rebuild.';
    throw e;
  }
  if (!webgl2()) {
    status('this browser gives no WebGL2, which NiiVue needs', true);
    throw new Error('no WebGL2');
  }
  nv = new NV.Niivue({
    backColor: [0.08, 0.09, 0.11, 1], crosshairColor: [0.3, 0.8, 1, 0.8], crosshairWidth: 1,
    show3Dcrosshair: true, isColorbar: false, dragAndDropEnabled: false, isRadiologicalConvention: false,
    multiplanarShowRender: NV.SHOW_RENDER.ALWAYS, multiplanarLayout: NV.MULTIPLANAR_TYPE.GRID, loadingText: '',
  });
  await nv.attachToCanvas($('gl'));
  mouseModes(false);
  nv.onIntensityChange = () => showWindow();
  nv.opts.dragMode = NV.DRAG_MODE.callbackOnly;
  setView('multi');
  wirePointer();
}

/**
 * On 2D tiles the left and right buttons are the page's (prompts: NiiVue only reports the drag);
 * on the 3D tile they are NiiVue's crosshair mode, which rotates the rendering.
 */
function mouseModes(inRender) {
  const M = NV.DRAG_MODE, own = inRender ? M.crosshair : M.callbackOnly;
  nv.setMouseEventConfig({
    leftButton: { primary: own, withShift: own, withCtrl: M.crosshair },
    rightButton: own,
    centerButton: M.windowing,
  });
}

function setView(name) {
  if (!nv) return;
  const T = NV.SLICE_TYPE;
  const type = { axial: T.AXIAL, coronal: T.CORONAL, sagittal: T.SAGITTAL, multi: T.MULTIPLANAR, render: T.RENDER }[name];
  nv.setSliceType(type);
  state.view = name;
  document.querySelectorAll('[data-view]').forEach((b) => b.classList.toggle('active', b.dataset.view === name));
}

async function niftiFrom(path) {
  const r = await call('GET', path, undefined, true);
  return r.arrayBuffer();
}

async function loadImage() {
  const buffer = await niftiFrom(`${api}/volumes/${state.volume.id}/view/image.nii.gz`);
  const image = await NV.NVImage.loadFromUrl({ url: 'image.nii.gz', name: 'image.nii.gz', buffer, colormap: 'gray' });
  while (nv.volumes.length) nv.removeVolume(nv.volumes[nv.volumes.length - 1]);
  labelBitmap = null;
  nv.addVolume(image);
  nv.createEmptyDrawing();
  nv.setDrawColormap(drawColours());
  nv.setDrawOpacity(0.55);
  $('empty').hidden = true;
  showWindow();
}

/**
 * Fetches the label volume (RAS+ grid) and the label table; the labels go into NiiVue's drawing
 * layer (values 1–254, one colour each; the current object is drawn over them in CURRENT_PEN).
 * A drawing layer rather than a label overlay volume: it renders at once, also with software WebGL.
 */
async function loadLabels() {
  const [buffer, table] = await Promise.all([
    niftiFrom(`${api}/volumes/${state.volume.id}/view/labels.nii.gz`),
    call('GET', `volumes/${state.volume.id}/labels.json`),
  ]);
  state.labels = table;
  labelBitmap = table.objects.length ? await labelValues(buffer) : null;
  showLegend();
  drawMask(state.object && !state.object.accepted ? state.object : null);
}

/** A label volume (.nii.gz, uint8 or int16) as pen values: 0 stays 0, labels wrap into 1–254. */
async function labelValues(buffer) {
  const stream = new Blob([buffer]).stream().pipeThrough(new DecompressionStream('gzip'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  const view = new DataView(bytes.buffer);
  const [nx, ny, nz] = dims();
  const type = view.getInt16(70, true), offset = Math.round(view.getFloat32(108, true)), n = nx * ny * nz;
  if (view.getInt16(42, true) !== nx || view.getInt16(44, true) !== ny || view.getInt16(46, true) !== nz)
    throw new Error('the label volume is not on the image grid');
  const values = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = type === 2 ? bytes[offset + i] : view.getInt16(offset + 2 * i, true);
    values[i] = v <= 0 ? 0 : ((v - 1) % 254) + 1;
  }
  return values;
}

/** NiiVue's drawing colours: 0 clear, 1–254 the label colours, 255 the current object. */
function drawColours() {
  const I = [...Array(256).keys()];
  const rgb = I.map((v) => (v === 0 ? [0, 0, 0] : v === CURRENT_PEN ? [255, 40, 40] : colourOf(v)));
  return { R: rgb.map((c) => c[0]), G: rgb.map((c) => c[1]), B: rgb.map((c) => c[2]), A: I.map((v) => (v ? 255 : 0)), I };
}

function nameOf(label) {
  const c = state.labels?.categories.find((k) => k.label === label);
  return c ? c.name : `label ${label}`;
}

function showWindow() {
  const v = nv?.volumes[0];
  if (!v) return;
  $('window').value = +(v.cal_max - v.cal_min).toPrecision(4);
  $('level').value = +((v.cal_max + v.cal_min) / 2).toPrecision(4);
}

function applyWindow() {
  const v = nv?.volumes[0];
  const w = parseFloat($('window').value), l = parseFloat($('level').value);
  if (!v || !(w > 0) || !Number.isFinite(l)) return;
  v.cal_min = l - w / 2;
  v.cal_max = l + w / 2;
  nv.updateGLVolume();
}

function autoWindow() {
  const v = nv?.volumes[0];
  if (!v) return;
  v.cal_min = v.robust_min;
  v.cal_max = v.robust_max;
  nv.updateGLVolume();
  showWindow();
}

/** Shows the accepted labels and the current object's mask (its slice) in NiiVue's drawing layer. */
function drawMask(answer) {
  const bitmap = nv.drawBitmap;
  if (!bitmap) return;
  if (labelBitmap) bitmap.set(labelBitmap);
  else bitmap.fill(0);
  if (answer) {
    const [nx, ny] = dims();
    const w = answer.width;
    let at = 0, on = false;
    for (const run of answer.maskRle) {
      if (on) {
        for (let i = at; i < at + run; i++) {
          const [x, y, z] = voxelOf(AXES.indexOf(answer.axis), answer.index, Math.floor(i / w), i % w);
          bitmap[x + nx * (y + ny * z)] = CURRENT_PEN;
        }
      }
      at += run;
      on = !on;
    }
  }
  nv.refreshDrawing(true);
}

/** The voxels drawn as the current object, [x, y, z] each (for tests and the console). */
function maskVoxels() {
  const bitmap = nv?.drawBitmap;
  if (!bitmap) return [];
  const [nx, ny] = dims();
  const out = [];
  for (let i = 0; i < bitmap.length; i++)
    if (bitmap[i] === CURRENT_PEN) out.push([i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))]);
  return out;
}

/** How many voxels the drawing layer holds with pen value v (a label 1–254, or CURRENT_PEN). */
function drawnCount(v) {
  const bitmap = nv?.drawBitmap;
  let n = 0;
  if (bitmap) for (let i = 0; i < bitmap.length; i++) if (bitmap[i] === v) n++;
  return n;
}

/** Page (CSS pixel) position of voxel v on the 2D tile of NiiVue slice type axCorSag (for tests). */
function pagePoint(v, axCorSag) {
  const frac = nv.vox2frac([v[0], v[1], v[2]]);
  const hitTile = nv.frac2canvasPosWithTile(frac, axCorSag);
  const pos = hitTile?.pos ?? hitTile;
  if (!pos) return null;
  const dpr = nv.uiData.dpr || 1;
  const rect = $('gl').getBoundingClientRect();
  return { x: rect.left + pos[0] / dpr, y: rect.top + pos[1] / dpr };
}

/** Moves the crosshair (and so the slices shown) to voxel v. */
function goTo(v) {
  nv.scene.crosshairPos = nv.vox2frac(v);
  nv.updateGLVolume();
  nv.drawScene();
}

// ---- prompts ----------------------------------------------------------------------------

function wirePointer() {
  const canvas = $('gl'), rubber = $('rubber');
  let down = null;
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  // Capture phase: runs before NiiVue's own listener on the canvas, so mouseModes applies to this press.
  canvas.addEventListener('mousedown', (e) => {
    const rect = canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    const dpr = nv.uiData.dpr || 1;
    mouseModes(nv.inRenderTile(x * dpr, y * dpr) >= 0);
    down = null;
    if (!state.volume || e.ctrlKey || e.button === 1) return;
    const at = hit(x, y);
    down = at && { x, y, at, button: e.button, shift: e.shiftKey };
  }, true);
  window.addEventListener('mousemove', (e) => {
    if (!down || down.button !== 0 || down.shift) return;
    const rect = canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    if (Math.hypot(x - down.x, y - down.y) < 4) { rubber.hidden = true; return; }
    Object.assign(rubber.style, {
      left: `${Math.min(x, down.x)}px`, top: `${Math.min(y, down.y)}px`,
      width: `${Math.abs(x - down.x)}px`, height: `${Math.abs(y - down.y)}px`,
    });
    rubber.hidden = false;
  });
  window.addEventListener('mouseup', (e) => {
    if (!down) return;
    const start = down;
    down = null;
    rubber.hidden = true;
    const rect = canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    const dragged = Math.hypot(x - start.x, y - start.y) >= 4;
    const background = start.button === 2 || start.shift;
    if (dragged && !background) {
      const end = hit(x, y);
      if (end && end.axis === start.at.axis) boxPrompt(start.at, end);
    } else if (!dragged) {
      pointPrompt(start.at, background ? 0 : 1);
    }
  });
}

function sliceIndex(at) { return at.voxel[at.axis]; }

function boxPrompt(a, b) {
  const axis = a.axis, index = sliceIndex(a);
  const p = pixelOf(axis, a.voxel), q = pixelOf(axis, b.voxel);
  const box = [Math.min(p.c, q.c), Math.min(p.r, q.r), Math.max(p.c, q.c), Math.max(p.r, q.r)];
  state.lastBox = { axis: AXES[axis], index, box };
  return ask({ axis: AXES[axis], index, box, mask: 'rle' });
}

function pointPrompt(at, label) {
  const axis = at.axis, index = sliceIndex(at);
  const p = pixelOf(axis, at.voxel);
  const point = [p.c, p.r, label];
  const current = state.object;
  if (current && !current.accepted && !current.propagated && current.axis === AXES[axis] && current.index === index)
    return ask({ refine: current.objectId, points: [point], mask: 'rle' }, current);
  if (label === 0) { status('a background click refines an object: drag a box or click on the object first'); return; }
  return ask({ axis: AXES[axis], index, points: [point], mask: 'rle' });
}

function ask(body, replaces) {
  return guarded(replaces ? 'refining' : 'segmenting', async () => {
    state.lastPrompt = body;
    const answer = await call('POST', `volumes/${state.volume.id}/prompts`, body);
    await dropUnaccepted(state.object);
    state.object = { ...answer, accepted: false, propagated: null };
    drawMask(answer);
    showObject();
    status(`${answer.category ?? 'object'} (${pct(answer.classProbability)}) on ${answer.axis} slice ${answer.index}`);
  });
}

/** Forgets an answer the user moved on from (never an accepted one). */
async function dropUnaccepted(object) {
  if (!object || object.accepted) return;
  try { await call('DELETE', `volumes/${state.volume.id}/objects/${object.objectId}`); } catch { /* gone already */ }
}

const pct = (p) => (p == null ? '–' : `${(p * 100).toFixed(1)} %`);

function showObject() {
  const o = state.object;
  $('object').hidden = !o;
  if (!o) return;
  $('object-id').textContent = `#${o.objectId}`;
  $('object-category').textContent = o.category ?? '(no category)';
  const where = o.propagated
    ? `${o.axis} slices ${o.propagated.firstSlice}–${o.propagated.lastSlice}, ${o.propagated.voxels} voxels`
    : `${o.axis} slice ${o.index}, ${o.areaMm2.toFixed(1)} mm²`;
  $('object-facts').textContent = `confidence ${pct(o.classProbability)} · IoU ${o.iou.toFixed(2)} · ${where}${o.accepted ? ' · accepted' : ''}`;
  $('object-top').replaceChildren(...(o.top || []).map((t) => {
    const li = document.createElement('li');
    li.textContent = t.category;
    const s = document.createElement('span');
    s.textContent = pct(t.probability);
    li.append(s);
    return li;
  }));
  $('accept').disabled = o.accepted;
}

async function accept() {
  const o = state.object;
  if (!o || o.accepted || state.job) return;
  await guarded('accepting', async () => {
    const kept = await call('PUT', `volumes/${state.volume.id}/objects/${o.objectId}`);
    o.accepted = true;
    o.label = kept.label;
    drawMask(null);
    await loadLabels();
    showObject();
    status(`accepted ${kept.category ?? 'object'} as label ${kept.label}`);
  });
}

async function discard() {
  if (state.job) return cancelJob();
  const o = state.object;
  if (!o) return;
  state.object = null;
  drawMask(null);
  showObject();
  await dropUnaccepted(o);
  status('discarded');
}

async function removeObject(objectId) {
  await guarded('removing', async () => {
    await call('DELETE', `volumes/${state.volume.id}/objects/${objectId}`);
    if (state.object?.objectId === objectId) { state.object = null; showObject(); }
    await loadLabels();
    status(`removed object ${objectId}`);
  });
}

function showLegend() {
  const table = state.labels;
  const list = $('legend');
  if (!table || table.objects.length === 0) {
    list.innerHTML = '<li class="muted">none accepted yet</li>';
    return;
  }
  list.replaceChildren(...table.objects.map((o) => {
    const li = document.createElement('li');
    li.dataset.label = o.label;
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = `rgb(${colourOf(o.label).join(',')})`;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = `${o.label} ${o.category ?? nameOf(o.label)}`;
    name.title = `object ${o.objectId}: ${o.axis} slices ${o.firstSlice}–${o.lastSlice}, ${o.voxels} voxels`;
    const n = document.createElement('span');
    n.className = 'n';
    n.textContent = o.voxels;
    const x = document.createElement('button');
    x.textContent = '×';
    x.title = 'Remove from the label volume';
    x.onclick = () => removeObject(o.objectId);
    li.append(sw, name, n, x);
    return li;
  }));
}

// ---- jobs: propagate, segment all (POST → 202 + job; GET /jobs/{id} until done) -----------

async function runJob(label, path) {
  const job = await call('POST', path);
  state.job = job;
  $('job-name').textContent = label;
  $('job-progress').value = 0;
  $('job').hidden = false;
  updateButtons();
  try {
    for (;;) {
      const j = await call('GET', `jobs/${job.id}`);
      $('job-progress').value = j.progress ?? 0;
      status(`${label}: ${Math.round((j.progress ?? 0) * 100)} %`);
      if (j.state === 'done') return j.result;
      if (j.state === 'failed') throw new Error(j.error || 'failed');
      if (j.state === 'cancelled') throw new Error('cancelled');
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    state.job = null;
    $('job').hidden = true;
    showObject();
  }
}

async function cancelJob() {
  if (state.job) await call('DELETE', `jobs/${state.job.id}`).catch(() => {});
}

async function propagate() {
  const o = state.object;
  if (!o || o.accepted || o.propagated || state.job) return;
  await guarded('propagating', async () => {
    const result = await runJob('propagating', `volumes/${state.volume.id}/objects/${o.objectId}/propagate`);
    o.propagated = result;
    showObject();
    status(`propagated over ${o.axis} slices ${result.firstSlice}–${result.lastSlice} (${result.voxels} voxels): accept to keep it in 3D`);
  });
}

async function segmentAll() {
  if (!state.volume || state.job) return;
  await guarded('segmenting all', async () => {
    const result = await runJob('segmenting all', `volumes/${state.volume.id}/segment-all`);
    await loadLabels();
    status(`segment all: ${result.objects.length} objects added`);
  });
}

// ---- volumes ------------------------------------------------------------------------------

async function open(request) {
  await guarded('opening', async () => {
    const volume = await request();
    if (state.volume) call('DELETE', `volumes/${state.volume.id}`).catch(() => {});
    state.volume = volume;
    state.object = null;
    state.labels = null;
    showObject();
    await loadImage();
    await loadLabels();
    setView(volume.dims[2] === 1 ? 'axial' : state.view || 'multi');
    status(`${volume.name}: ${volume.dims.join('×')} voxels (stored ${volume.orientation}), intensities: ${volume.modality ?? 'as read'}`);
  });
}

function download() {
  if (!state.volume) return;
  guarded('downloading', async () => {
    const r = await call('GET', `volumes/${state.volume.id}/labels.nii.gz`, undefined, true);
    const url = URL.createObjectURL(await r.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = 'labels.nii.gz';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    status('labels.nii.gz downloaded');
  });
}

function updateButtons() {
  const o = state.object, open = !!state.volume, idle = !state.busy && !state.job;
  $('propagate').disabled = !(o && !o.accepted && !o.propagated && idle && state.volume?.dims[o.axis === 'axial' ? 2 : o.axis === 'coronal' ? 1 : 0] > 1);
  $('download').disabled = !open;
  $('segment-all').disabled = !(open && idle);
  $('accept').disabled = !(o && !o.accepted) || !!state.job;
}

function step(delta) {
  if (!nv || !state.volume) return;
  const axis = { axial: 2, coronal: 1, sagittal: 0 }[state.view] ?? 2;
  const d = [0, 0, 0];
  d[axis] = delta;
  nv.moveCrosshairInVox(...d);
}

function wireUi() {
  $('file').addEventListener('change', (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (file) open(() => call('POST', `volumes?name=${encodeURIComponent(file.name)}`, file));
  });
  $('builtin').onclick = () => open(() => call('POST', 'volumes/builtin'));
  document.querySelectorAll('[data-view]').forEach((b) => { b.onclick = () => setView(b.dataset.view); });
  $('window').onchange = applyWindow;
  $('level').onchange = applyWindow;
  $('autowl').onclick = autoWindow;
  $('accept').onclick = accept;
  $('discard').onclick = discard;
  $('propagate').onclick = propagate;
  $('segment-all').onclick = segmentAll;
  $('download').onclick = download;
  $('job-cancel').onclick = cancelJob;
  window.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
    const keys = {
      1: () => setView('axial'), 2: () => setView('coronal'), 3: () => setView('sagittal'),
      4: () => setView('multi'), 5: () => setView('render'),
      a: accept, Enter: accept, Escape: discard, p: propagate, d: download, r: autoWindow,
      o: () => $('file').click(), b: () => $('builtin').click(),
      g: () => { if (!$('segment-all').hidden) segmentAll(); },
      ArrowUp: () => step(1), ArrowDown: () => step(-1), PageUp: () => step(5), PageDown: () => step(-5),
    };
    const f = keys[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (f) { e.preventDefault(); f(); }
  });
  window.addEventListener('resize', () => nv?.resizeListener());
}

async function main() {
  wireUi();
  updateButtons();
  try {
    state.info = await call('GET', 'info');
    const pgsam = state.info.models.some((m) => /pg-?sam/i.test(m.kind));
    $('segment-all').hidden = !pgsam;
    await startNiiVue();
    status(`ready: ${state.info.models.map((m) => `${m.name} (${m.kind})`).join(', ')}`);
  } catch (e) {
    if (!state.errors.length) status(`start: ${e.message}`, true);
    console.error(e);
  }
  state.ready = true;
}

// For tests and the browser console.
window.segsam = { state, webgl2, maskVoxels, drawnCount, pagePoint, goTo, setView, pixelOf, voxelOf, get nv() { return nv; } };
main();
