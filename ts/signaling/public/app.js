// voxrtc demo page: microphone → server over WebRTC, server audio played back,
// level meters for both directions. Plain browser JavaScript, no build step.
// For automated tests, `window.voxrtcDemo` exposes the peer connection, the
// levels and the dominant frequency of what the server sends back.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
    state: $('state'), codec: $('codec'), start: $('start'), stop: $('stop'),
    localBar: $('local-bar'), remoteBar: $('remote-bar'), localDb: $('local-db'), remoteDb: $('remote-db'),
    negotiated: $('negotiated'), packets: $('packets'), jitter: $('jitter'), rtt: $('rtt'),
    message: $('message'), audio: $('remote-audio'),
  };

  /** Everything one call holds, so Stop can release all of it. */
  let call = null;

  const demo = {
    state: 'idle',
    levels: { local: -Infinity, remote: -Infinity },
    get pc() { return call && call.pc; },
    /**
     * The strongest frequency (Hz) in what the server sends back, or 0.
     * The peak bin is refined by a parabola through it and its neighbours
     * (on the dB spectrum), so the estimate is finer than a bin (~11 Hz).
     */
    remoteFrequency() {
      const analyser = call && call.remoteAnalyser;
      if (!analyser) return 0;
      const bins = new Float32Array(analyser.frequencyBinCount);
      analyser.getFloatFrequencyData(bins);
      let best = 1;
      for (let i = 2; i < bins.length - 1; i++) if (bins[i] > bins[best]) best = i;
      if (!Number.isFinite(bins[best])) return 0; // no sound at all (or no audio running)
      const [a, b, c] = [bins[best - 1], bins[best], bins[best + 1]];
      const curve = a - 2 * b + c;
      const offset = Number.isFinite(curve) && curve < 0 ? Math.max(-0.5, Math.min(0.5, (a - c) / (2 * curve))) : 0;
      return ((best + offset) * analyser.context.sampleRate) / analyser.fftSize;
    },
  };
  window.voxrtcDemo = demo;

  function setState(state) {
    demo.state = state;
    ui.state.textContent = state;
    ui.state.dataset.state = state;
  }

  function say(text, isError = false) {
    ui.message.textContent = text;
    ui.message.classList.toggle('error', isError);
  }

  /** Puts the chosen codec first (and alone, with its helpers) via setCodecPreferences. */
  function preferCodec(transceiver, name) {
    const caps = typeof RTCRtpReceiver.getCapabilities === 'function' && RTCRtpReceiver.getCapabilities('audio');
    if (!caps || typeof transceiver.setCodecPreferences !== 'function') return false;
    const wanted = `audio/${name}`.toLowerCase();
    const chosen = caps.codecs.filter((c) => c.mimeType.toLowerCase() === wanted);
    if (chosen.length === 0) return false;
    transceiver.setCodecPreferences(chosen);
    return true;
  }

  /** Fallback for browsers without setCodecPreferences: reorder the audio m-line. */
  function preferCodecInSdp(sdp, name) {
    const lines = sdp.split('\r\n');
    const mIndex = lines.findIndex((l) => l.startsWith('m=audio'));
    if (mIndex < 0) return sdp;
    const pts = lines
      .filter((l) => new RegExp(`^a=rtpmap:\\d+ ${name}/`, 'i').test(l))
      .map((l) => l.slice('a=rtpmap:'.length).split(' ')[0]);
    if (pts.length === 0) return sdp;
    const parts = lines[mIndex].split(' ');
    const rest = parts.slice(3).filter((pt) => !pts.includes(pt));
    lines[mIndex] = [...parts.slice(0, 3), ...pts, ...rest].join(' ');
    return lines.join('\r\n');
  }

  function waitForIceGathering(pc, ms = 3000) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function check() { if (pc.iceGatheringState === 'complete') done(); }
      function done() {
        clearTimeout(timer);
        pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      }
      pc.addEventListener('icegatheringstatechange', check);
    });
  }

  function meter(context, stream) {
    const analyser = context.createAnalyser();
    analyser.fftSize = 4096;
    analyser.smoothingTimeConstant = 0.2;
    context.createMediaStreamSource(stream).connect(analyser);
    return analyser;
  }

  function levelDb(analyser, buffer) {
    analyser.getFloatTimeDomainData(buffer);
    let sum = 0;
    for (let i = 0; i < buffer.length; i++) sum += buffer[i] * buffer[i];
    const rms = Math.sqrt(sum / buffer.length);
    return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
  }

  function showLevel(bar, label, db) {
    const clamped = Math.max(-60, Math.min(0, db));
    bar.style.width = `${((clamped + 60) / 60) * 100}%`;
    label.textContent = Number.isFinite(db) ? `${db.toFixed(0)} dB` : '–∞ dB';
  }

  function animate() {
    if (!call) return;
    const buffer = call.buffer;
    if (call.localAnalyser) demo.levels.local = levelDb(call.localAnalyser, buffer);
    if (call.remoteAnalyser) demo.levels.remote = levelDb(call.remoteAnalyser, buffer);
    showLevel(ui.localBar, ui.localDb, demo.levels.local);
    showLevel(ui.remoteBar, ui.remoteDb, demo.levels.remote);
    call.frame = requestAnimationFrame(animate);
  }

  async function updateStats() {
    if (!call) return;
    const report = await call.pc.getStats();
    let inbound, outbound, pair, codec;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s;
      if (s.type === 'outbound-rtp' && s.kind === 'audio') outbound = s;
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
    });
    const codecId = (inbound && inbound.codecId) || (outbound && outbound.codecId);
    if (codecId) codec = report.get(codecId);
    ui.negotiated.textContent = codec ? `${codec.mimeType.replace('audio/', '')} · ${codec.clockRate / 1000} kHz` : '—';
    ui.packets.textContent = `${inbound ? inbound.packetsReceived : 0} / ${outbound ? outbound.packetsSent : 0}`;
    ui.jitter.textContent = inbound && inbound.jitter !== undefined ? `${(inbound.jitter * 1000).toFixed(1)} ms` : '—';
    ui.rtt.textContent = pair && pair.currentRoundTripTime !== undefined ? `${(pair.currentRoundTripTime * 1000).toFixed(0)} ms` : '—';
  }

  async function start() {
    ui.start.disabled = true;
    ui.codec.disabled = true;
    ui.stop.disabled = false;
    setState('starting');
    say('Asking for the microphone…');
    const codecName = ui.codec.value;
    try {
      const mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: false }, video: false });
      const context = new AudioContext();
      const pc = new RTCPeerConnection();
      call = { pc, mic, context, buffer: new Float32Array(2048), localAnalyser: meter(context, mic), remoteAnalyser: null, frame: 0, timer: 0 };
      const [micTrack] = mic.getAudioTracks();
      const transceiver = pc.addTransceiver(micTrack, { direction: 'sendrecv', streams: [mic] });
      const preferred = preferCodec(transceiver, codecName);

      pc.addEventListener('track', (event) => {
        const stream = event.streams[0] || new MediaStream([event.track]);
        ui.audio.srcObject = stream; // Chromium only feeds Web Audio from a remote stream that also plays
        ui.audio.play().catch(() => say('Click anywhere to allow playback.'));
        if (call) call.remoteAnalyser = meter(call.context, stream);
      });
      pc.addEventListener('connectionstatechange', () => {
        setState(pc.connectionState);
        if (pc.connectionState === 'connected') say('Connected. Speak: the server\'s audio plays back here.');
        if (pc.connectionState === 'failed') say('The connection failed (is the server reachable from this browser?).', true);
      });

      setState('connecting');
      say('Connecting…');
      const offer = await pc.createOffer();
      await pc.setLocalDescription(preferred ? offer : { type: 'offer', sdp: preferCodecInSdp(offer.sdp, codecName) });
      await waitForIceGathering(pc);
      const response = await fetch('/offer', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sdp: pc.localDescription.sdp, type: pc.localDescription.type }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.error || `the server answered ${response.status}`);
      if (!call || call.pc !== pc) return; // stopped meanwhile
      await pc.setRemoteDescription(body);
      call.frame = requestAnimationFrame(animate);
      call.timer = setInterval(updateStats, 1000);
      // Not awaited: Firefox never settles resume() on a machine without an
      // audio output device, and the stats must not wait for the meters.
      context.resume().catch(() => {});
    } catch (error) {
      stop();
      setState('error');
      say(error && error.name === 'NotAllowedError' ? 'Microphone access was denied.' : `Could not start: ${error.message || error}`, true);
    }
  }

  function stop() {
    const current = call;
    call = null;
    if (current) {
      cancelAnimationFrame(current.frame);
      clearInterval(current.timer);
      current.pc.close();
      current.mic.getTracks().forEach((t) => t.stop());
      current.context.close().catch(() => {});
    }
    ui.audio.srcObject = null;
    demo.levels.local = demo.levels.remote = -Infinity;
    showLevel(ui.localBar, ui.localDb, -Infinity);
    showLevel(ui.remoteBar, ui.remoteDb, -Infinity);
    ui.start.disabled = false;
    ui.codec.disabled = false;
    ui.stop.disabled = true;
    setState('idle');
    say('');
  }

  ui.start.addEventListener('click', start);
  ui.stop.addEventListener('click', stop);
  window.addEventListener('pagehide', stop);

  // ?codec=PCMU preselects a codec; ?autostart starts at once (for automated browser tests).
  const params = new URLSearchParams(location.search);
  if (params.has('codec')) ui.codec.value = params.get('codec');
  if (params.has('autostart')) start();
})();
