// A small drawing pad for "find my digit": dark ink on a light square, drawn with a mouse, a
// finger or a pen (pointer events), or filled by dropping/choosing an image. It only draws and
// hands over RGBA pixels; framing, resizing and polarity are decided in Rust (target_image.rs).

import { acceptDrops } from './dom.js';

const INK = '#111';
const PAPER = '#fff';

export class DrawPad {
  constructor(canvas, { onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.onChange = onChange;
    this.strokes = 0;
    this.last = null;
    this.paper();
    canvas.style.touchAction = 'none'; // a finger draws instead of scrolling the page
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const end of ['pointerup', 'pointercancel', 'pointerleave'])
      canvas.addEventListener(end, () => this.up());
    acceptDrops(canvas, (file) =>
      this.loadFile(file).catch((err) => this.onChange({ error: err.message })),
    );
  }

  paper() {
    this.ctx.fillStyle = PAPER;
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.strokes = 0;
  }

  clear() {
    this.paper();
    this.onChange({ cleared: true });
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [
      ((e.clientX - r.left) / r.width) * this.canvas.width,
      ((e.clientY - r.top) / r.height) * this.canvas.height,
    ];
  }

  down(e) {
    this.canvas.setPointerCapture?.(e.pointerId);
    this.last = this.point(e);
    this.line(this.last, this.last, e.pressure);
  }

  move(e) {
    if (!this.last) return;
    const p = this.point(e);
    this.line(this.last, p, e.pressure);
    this.last = p;
  }

  up() {
    if (!this.last) return;
    this.last = null;
    this.strokes += 1;
    this.onChange({ stroke: this.strokes });
  }

  line(a, b, pressure) {
    const ctx = this.ctx;
    // A pen's pressure thickens the line a little; a mouse reports 0.5 while pressed.
    const width = (this.canvas.width / 12) * (0.75 + 0.5 * (pressure || 0.5));
    ctx.strokeStyle = INK;
    ctx.lineWidth = width;
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...a);
    ctx.lineTo(...b);
    ctx.stroke();
  }

  // Draws an image file onto the pad (kept whole, centred). Anything the browser cannot decode
  // as an image is refused with a message.
  async loadFile(file) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      throw new Error(`${file.name} is not an image this browser can read (try PNG or JPEG)`);
    }
    this.loadBitmap(bitmap, file.name);
  }

  loadBitmap(bitmap, name = 'image') {
    const { width: w, height: h } = this.canvas;
    this.paper();
    const scale = Math.min(w / bitmap.width, h / bitmap.height);
    const dw = bitmap.width * scale;
    const dh = bitmap.height * scale;
    this.ctx.drawImage(bitmap, (w - dw) / 2, (h - dh) / 2, dw, dh);
    this.strokes += 1;
    this.onChange({ image: name });
  }

  rgba() {
    const { width, height } = this.canvas;
    return {
      rgba: new Uint8Array(this.ctx.getImageData(0, 0, width, height).data.buffer),
      width,
      height,
    };
  }
}
