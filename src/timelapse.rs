//! A run's time-lapse: the watched grid (the same latents every time) as training goes on,
//! kept as at most [`MAX_FRAMES`] frames spread evenly over the whole run, and written as an
//! animated GIF that a person can keep or share. Both front ends record the grids they already
//! draw: `webgan train --timelapse FILE` its previews, the Train view its views.
//!
//! Frames are kept quantised (one byte per pixel and a palette: exact for grey digits, NeuQuant
//! for colour), so the memory is bounded by [`MAX_FRAMES`] x the grid's pixels, whatever the
//! run's length. When the store is full every other frame is dropped and only every other later
//! grid is kept from then on, so the kept frames stay evenly spaced from the first step to the
//! latest.

use std::borrow::Cow;

use crate::error::{Result, WebganError};

/// The most frames a time-lapse keeps (a GIF of this many frames plays in about 10 s).
pub const MAX_FRAMES: usize = 120;
/// Each frame's time on screen, in hundredths of a second.
const FRAME_DELAY_CS: u16 = 8;
/// The last frame's time on screen before the animation loops.
const LAST_FRAME_DELAY_CS: u16 = 200;
/// The largest grid side a frame may have (a GIF's sides are 16-bit; this is far above any
/// watched grid).
const MAX_SIDE: usize = 4096;

/// The frames of one run.
#[derive(Default)]
pub struct TimeLapse {
    frames: Vec<(u64, gif::Frame<'static>)>,
    size: Option<(usize, usize)>,
    /// Grids offered so far; one in `stride` of them is kept.
    offered: u64,
    stride: u64,
}

impl TimeLapse {
    pub fn new() -> Self {
        TimeLapse {
            stride: 1,
            ..Default::default()
        }
    }

    /// Offers the grid drawn at `step` (RGBA, `width` x `height`); returns whether it was kept.
    /// Every grid of a run has the grid's first size; anything else is refused.
    pub fn offer(&mut self, step: u64, width: usize, height: usize, rgba: &[u8]) -> Result<bool> {
        if !self.accepts(step, width, height, rgba)? {
            return Ok(false);
        }
        let keep = self.offered.is_multiple_of(self.stride);
        self.offered += 1;
        if !keep {
            return Ok(false);
        }
        if self.frames.len() == MAX_FRAMES {
            let mut index = 0;
            self.frames.retain(|_| {
                index += 1;
                index % 2 == 1
            });
            self.stride *= 2;
            // The grid in hand is on the new, coarser spacing only if it falls on it.
            if !(self.offered - 1).is_multiple_of(self.stride) {
                return Ok(false);
            }
        }
        self.push(step, width, height, rgba);
        Ok(true)
    }

    /// Keeps the run's latest grid whatever the spacing (the end of the film: a saved
    /// time-lapse ends where the run is), in place of the last kept frame when the store is full.
    pub fn offer_last(
        &mut self,
        step: u64,
        width: usize,
        height: usize,
        rgba: &[u8],
    ) -> Result<()> {
        if self.accepts(step, width, height, rgba)? {
            if self.frames.len() == MAX_FRAMES {
                self.frames.pop();
            }
            self.push(step, width, height, rgba);
        }
        Ok(())
    }

    /// Checks a grid; false for one that adds nothing (a step at or before the last frame's).
    fn accepts(&mut self, step: u64, width: usize, height: usize, rgba: &[u8]) -> Result<bool> {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(WebganError::invalid(
                "frame",
                format!("{width}x{height}"),
                format!("must be 1 to {MAX_SIDE} pixels on each side"),
            ));
        }
        if rgba.len() != width * height * 4 {
            return Err(WebganError::invalid(
                "frame",
                format!("{} bytes", rgba.len()),
                format!(
                    "a {width}x{height} RGBA frame has {} bytes",
                    width * height * 4
                ),
            ));
        }
        match self.size {
            Some(size) if size != (width, height) => {
                return Err(WebganError::invalid(
                    "frame",
                    format!("{width}x{height}"),
                    format!(
                        "this time-lapse's frames are {}x{}: a run's grid keeps its size",
                        size.0, size.1
                    ),
                ));
            }
            _ => self.size = Some((width, height)),
        }
        // The same grid drawn again (a pause, a redraw) adds nothing.
        Ok(self.frames.last().is_none_or(|(last, _)| step > *last))
    }

    fn push(&mut self, step: u64, width: usize, height: usize, rgba: &[u8]) {
        let mut pixels = rgba.to_vec();
        // Sides checked by `accepts`: both fit in u16.
        let frame = gif::Frame::from_rgba_speed(width as u16, height as u16, &mut pixels, 10);
        self.frames.push((step, frame));
    }

    /// Frames kept.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The steps of the kept frames, in order.
    pub fn steps(&self) -> Vec<u64> {
        self.frames.iter().map(|(s, _)| *s).collect()
    }

    /// The animated GIF: every kept frame, looping, the last one held for two seconds.
    pub fn gif(&self) -> Result<Vec<u8>> {
        let (width, height) = match (self.size, self.frames.is_empty()) {
            (Some(size), false) => size,
            _ => {
                return Err(WebganError::invalid(
                    "time-lapse",
                    "no frames",
                    "train until the first grid is drawn",
                ));
            }
        };
        let fail = |e: gif::EncodingError| WebganError::invalid("time-lapse", "GIF", e.to_string());
        let mut out = Vec::new();
        let mut encoder =
            gif::Encoder::new(&mut out, width as u16, height as u16, &[]).map_err(fail)?;
        encoder.set_repeat(gif::Repeat::Infinite).map_err(fail)?;
        let last = self.frames.len() - 1;
        for (i, (_, frame)) in self.frames.iter().enumerate() {
            let frame = gif::Frame {
                delay: if i == last {
                    LAST_FRAME_DELAY_CS
                } else {
                    FRAME_DELAY_CS
                },
                buffer: Cow::Borrowed(&frame.buffer),
                ..frame.clone()
            };
            encoder.write_frame(&frame).map_err(fail)?;
        }
        encoder.into_inner().map_err(fail)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(width: usize, height: usize, v: u8) -> Vec<u8> {
        (0..width * height).flat_map(|_| [v, v, v, 255]).collect()
    }

    #[test]
    fn keeps_at_most_max_frames_evenly_spaced_from_the_first() {
        let mut lapse = TimeLapse::new();
        for step in 1..=1000u64 {
            lapse
                .offer(step * 20, 4, 3, &grey(4, 3, step as u8))
                .unwrap();
        }
        let steps = lapse.steps();
        assert!(
            steps.len() <= MAX_FRAMES && steps.len() > MAX_FRAMES / 2,
            "{}",
            steps.len()
        );
        assert_eq!(steps[0], 20, "the first grid stays");
        let gaps: Vec<u64> = steps.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|g| *g == gaps[0]), "even spacing: {gaps:?}");
    }

    #[test]
    fn the_gif_decodes_to_the_kept_frames() {
        let mut lapse = TimeLapse::new();
        for step in 1..=5u64 {
            // Colour frames, to go through the palette quantiser.
            let rgba: Vec<u8> = (0..6 * 2)
                .flat_map(|i| [i as u8 * 20, step as u8 * 40, 7, 255])
                .collect();
            assert!(lapse.offer(step, 6, 2, &rgba).unwrap());
        }
        assert!(
            !lapse.offer(5, 6, 2, &grey(6, 2, 0)).unwrap(),
            "the same step again"
        );
        let bytes = lapse.gif().unwrap();
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::RGBA);
        let mut decoder = options.read_info(bytes.as_slice()).unwrap();
        assert_eq!((decoder.width(), decoder.height()), (6, 2));
        let mut frames = 0;
        while let Some(frame) = decoder.read_next_frame().unwrap() {
            frames += 1;
            // Pixel 1 of frame k has green 40 k (an exact palette: 12 colours).
            assert_eq!(frame.buffer[4 + 1], frames as u8 * 40);
        }
        assert_eq!(frames, 5);
    }

    #[test]
    fn refuses_bad_frames_and_an_empty_gif() {
        let mut lapse = TimeLapse::new();
        assert!(lapse.gif().is_err());
        assert!(
            lapse.offer(1, 4, 3, &grey(4, 2, 0)).is_err(),
            "wrong length"
        );
        assert!(lapse.offer(1, 0, 3, &[]).is_err(), "empty");
        lapse.offer(1, 4, 3, &grey(4, 3, 0)).unwrap();
        assert!(
            lapse.offer(2, 3, 4, &grey(3, 4, 0)).is_err(),
            "another size"
        );
    }
}
