// "Find my face"'s photo tool (colour models): a photo from a file, a drop or the camera, shown
// with a square crop a person moves and resizes (pointer: drag inside to move, drag the corner
// handle to resize; keyboard: arrows move, + and - resize; the size slider), and that crop
// resized to the model's size for the search. The picture stays in this page: nothing here
// sends it anywhere. State a test can read: canvas[data-source] ('file', 'camera' live,
// 'camera-photo'), canvas[data-crop] ('x,y,side' in the photo's pixels).

import { acceptDrops } from './dom.js';

const HANDLE = 0.08; // the resize handle's reach, as a share of the canvas side
const MIN_SIDE = 8; // smallest crop, in the photo's pixels

export class PhotoCrop {
  // `onChange({ crop, source, error })`: the crop or the photo changed, or something failed.
  constructor(canvas, sizeInput, { onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.sizeInput = sizeInput;
    this.onChange = onChange;
    this.source = null; // an ImageBitmap, or the camera's <video> while it is live
    this.name = '';
    this.w = 0;
    this.h = 0;
    this.crop = null; // { x, y, side } in the photo's pixels
    this.drag = null;
    this.stream = null;
    this.draw();
    canvas.style.touchAction = 'none'; // a finger moves the crop instead of scrolling the page
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const end of ['pointerup', 'pointercancel']) {
      canvas.addEventListener(end, () => (this.drag = null));
    }
    canvas.addEventListener('keydown', (e) => this.key(e));
    sizeInput.addEventListener('input', () => {
      if (!this.crop) return;
      const short = Math.min(this.w, this.h);
      const side = Math.max(MIN_SIDE, Math.round((short * Number(sizeInput.value)) / 100));
      const c = this.crop;
      // Resize about the crop's centre.
      this.setCrop(c.x + (c.side - side) / 2, c.y + (c.side - side) / 2, side);
    });
    acceptDrops(canvas, (file) =>
      this.loadFile(file).catch((err) => this.onChange({ error: err.message })),
    );
  }

  get ready() {
    return this.crop !== null;
  }

  get live() {
    return this.stream !== null;
  }

  // A photo file. Anything the browser cannot decode as an image is refused with a message.
  async loadFile(file) {
    if (file.type && !file.type.startsWith('image/')) {
      throw new Error(
        `${file.name} is not an image (${file.type}): choose a PNG, JPEG or WebP photo`,
      );
    }
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      throw new Error(`${file.name} is not an image this browser can read (try PNG or JPEG)`);
    }
    this.stopCamera();
    this.setSource(bitmap, bitmap.width, bitmap.height, file.name, 'file');
  }

  // The camera, live in the canvas until takePhoto(). The browser asks the person first.
  async startCamera() {
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error(
        'this browser offers no camera to this page (a camera needs https or localhost); choose a file instead',
      );
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
        audio: false,
      });
    } catch (e) {
      throw new Error(cameraError(e), { cause: e });
    }
    this.stopCamera();
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    this.stream = stream;
    try {
      await video.play();
      if (!video.videoWidth) await new Promise((r) => (video.onloadedmetadata = r));
    } catch (e) {
      this.stopCamera();
      throw new Error(`the camera did not start: ${e.message}`, { cause: e });
    }
    this.setSource(video, video.videoWidth, video.videoHeight, 'camera', 'camera');
    const frame = () => {
      if (this.source !== video) return;
      this.draw();
      this.onChange({ frame: true });
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  // Keeps the camera's current frame as the photo (the crop stays where it is) and turns the
  // camera off.
  async takePhoto() {
    if (!this.live) return;
    const bitmap = await createImageBitmap(this.source);
    const crop = this.crop;
    this.releaseCamera();
    this.setSource(bitmap, bitmap.width, bitmap.height, 'camera photo', 'camera-photo', crop);
  }

  releaseCamera() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    if (this.source instanceof HTMLVideoElement) this.source.srcObject = null;
  }

  // Turns the camera off, and drops its picture if it was live.
  stopCamera() {
    if (!this.stream) return;
    const wasLive = this.source instanceof HTMLVideoElement;
    this.releaseCamera();
    if (wasLive) {
      this.source = null;
      this.crop = null;
      delete this.canvas.dataset.source;
      this.draw();
      this.onChange({ source: null });
    }
  }

  // A new photo, with the largest centred square as its crop (unless one is kept).
  setSource(source, w, h, name, kind, crop = null) {
    this.source = source;
    this.w = w;
    this.h = h;
    this.name = name;
    this.canvas.dataset.source = kind;
    this.sizeInput.disabled = false;
    const side = Math.min(w, h);
    const c = crop ?? { x: (w - side) / 2, y: (h - side) / 2, side };
    this.setCrop(c.x, c.y, c.side, kind);
  }

  // Clamps the crop inside the photo, redraws, and tells the page.
  setCrop(x, y, side, source = null) {
    side = Math.round(Math.max(MIN_SIDE, Math.min(side, this.w, this.h)));
    x = Math.round(Math.max(0, Math.min(x, this.w - side)));
    y = Math.round(Math.max(0, Math.min(y, this.h - side)));
    this.crop = { x, y, side };
    this.canvas.dataset.crop = `${x},${y},${side}`;
    this.sizeInput.value = String(Math.round((side / Math.min(this.w, this.h)) * 100));
    this.draw();
    this.onChange({ crop: this.crop, source });
  }

  // The photo's placement in the canvas: scale and offset (letterboxed, whole photo shown).
  view() {
    const { width: cw, height: ch } = this.canvas;
    const s = Math.min(cw / this.w, ch / this.h);
    return { s, ox: (cw - this.w * s) / 2, oy: (ch - this.h * s) / 2 };
  }

  draw() {
    const { ctx } = this;
    const { width: cw, height: ch } = this.canvas;
    ctx.fillStyle = '#222';
    ctx.fillRect(0, 0, cw, ch);
    if (!this.source) {
      ctx.fillStyle = '#ccc';
      ctx.font = `${Math.round(cw / 14)}px system-ui, sans-serif`;
      ctx.textAlign = 'center';
      ctx.fillText('choose, drop or', cw / 2, ch / 2 - cw / 24);
      ctx.fillText('take a photo', cw / 2, ch / 2 + cw / 12);
      return;
    }
    const { s, ox, oy } = this.view();
    ctx.drawImage(this.source, ox, oy, this.w * s, this.h * s);
    const c = this.crop;
    const [x, y, side] = [ox + c.x * s, oy + c.y * s, c.side * s];
    // Dim what falls outside the crop, then outline it with its resize handle.
    ctx.fillStyle = 'rgba(0, 0, 0, 0.55)';
    ctx.fillRect(0, 0, cw, y);
    ctx.fillRect(0, y + side, cw, ch - y - side);
    ctx.fillRect(0, y, x, side);
    ctx.fillRect(x + side, y, cw - x - side, side);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2;
    ctx.strokeRect(x + 1, y + 1, side - 2, side - 2);
    const hs = HANDLE * cw * 0.6;
    ctx.fillStyle = '#fff';
    ctx.fillRect(x + side - hs, y + side - hs, hs, hs);
  }

  // Pointer position in the photo's pixels.
  point(e) {
    const r = this.canvas.getBoundingClientRect();
    const cx = ((e.clientX - r.left) / r.width) * this.canvas.width;
    const cy = ((e.clientY - r.top) / r.height) * this.canvas.height;
    const { s, ox, oy } = this.view();
    return [(cx - ox) / s, (cy - oy) / s, s];
  }

  down(e) {
    if (!this.crop) return;
    this.canvas.setPointerCapture?.(e.pointerId);
    const [px, py, s] = this.point(e);
    const c = this.crop;
    const reach = (HANDLE * this.canvas.width) / s;
    const corner = Math.hypot(px - (c.x + c.side), py - (c.y + c.side)) < reach;
    const inside = px >= c.x && px <= c.x + c.side && py >= c.y && py <= c.y + c.side;
    if (corner) this.drag = { resize: true };
    else if (inside) this.drag = { dx: px - c.x, dy: py - c.y };
    else {
      // A press outside the crop centres it there.
      this.setCrop(px - c.side / 2, py - c.side / 2, c.side);
      this.drag = { dx: c.side / 2, dy: c.side / 2 };
    }
  }

  move(e) {
    if (!this.drag || !this.crop) return;
    const [px, py] = this.point(e);
    const c = this.crop;
    if (this.drag.resize) this.setCrop(c.x, c.y, Math.max(px - c.x, py - c.y));
    else this.setCrop(px - this.drag.dx, py - this.drag.dy, c.side);
  }

  key(e) {
    if (!this.crop) return;
    const c = this.crop;
    // One step is 2% of the photo's shorter side; Shift makes it 10%.
    const step = Math.max(1, Math.round(Math.min(this.w, this.h) * (e.shiftKey ? 0.1 : 0.02)));
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[e.key]) {
      const [dx, dy] = moves[e.key];
      this.setCrop(c.x + dx * step, c.y + dy * step, c.side);
    } else if (e.key === '+' || e.key === '=' || e.key === '-') {
      const side = c.side + (e.key === '-' ? -2 : 2) * step;
      this.setCrop(c.x + (c.side - side) / 2, c.y + (c.side - side) / 2, side);
    } else return;
    e.preventDefault();
  }

  // The crop as `size` x `size` RGBA, the model's own size: halved step by step first, since
  // one large downscale in a canvas skips pixels.
  target(size) {
    let { x, y, side } = this.crop;
    let src = this.source;
    while (side / 2 >= size * 1.5) {
      const half = Math.round(side / 2);
      const c = new OffscreenCanvas(half, half);
      const cx = c.getContext('2d');
      cx.imageSmoothingQuality = 'high';
      cx.drawImage(src, x, y, side, side, 0, 0, half, half);
      [src, x, y, side] = [c, 0, 0, half];
    }
    const out = new OffscreenCanvas(size, size);
    const ctx = out.getContext('2d', { willReadFrequently: true });
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(src, x, y, side, side, 0, 0, size, size);
    return { canvas: out, rgba: ctx.getImageData(0, 0, size, size).data };
  }

  // Words for a screen reader and the hint: where the crop is.
  describe() {
    if (!this.crop) return 'no photo yet';
    const { x, y, side } = this.crop;
    return `${this.live ? 'live camera' : this.name}: a ${side}-pixel square at ${x}, ${y} of ${this.w}×${this.h}`;
  }
}

// The words for a camera that did not open, by the reason the browser gives.
function cameraError(e) {
  switch (e && e.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'camera permission refused: allow the camera in the browser (the address bar or site settings), or choose a file';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no camera found: connect one, or choose a file';
    case 'NotReadableError':
    case 'AbortError':
      return 'the camera is busy (another app may be using it): close that app, or choose a file';
    default:
      return `the camera did not open (${(e && e.message) || e}); choose a file instead`;
  }
}
