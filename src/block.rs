//! Driving the library's async calls natively. The library is async so that the same code runs
//! on WebGPU in a browser, where every read must be awaited; natively every read can block, so
//! this only polls until the future is ready.

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}
