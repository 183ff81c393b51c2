/**
 * Checks a remote session description before werift sees it.
 *
 * werift's SDP parser trusts its input: a missing value crashes it with a bare
 * `TypeError` (`Cannot read properties of undefined`) or an `Error` with no
 * message; a payload type above 127 reaches the decoder; an offer without ICE
 * credentials, DTLS fingerprint or setup role is accepted and then never
 * connects; a few megabytes or a thousand m= sections are parsed and turned
 * into as many transceivers and decoders. This check rejects all of that up
 * front, with a message that names the line and what is wrong with it, so
 * that what reaches werift is well formed. It is not a full RFC 8866
 * validator: it enforces what werift and voxrtc rely on.
 * @packageDocumentation
 */

import { isIP } from 'node:net';

/** Longest SDP accepted, in characters. Browser offers are 2–20 KB. */
export const MAX_SDP_LENGTH = 256 * 1024;
/** Most m= sections accepted (each becomes a transceiver, and each audio one a decoder). */
export const MAX_MEDIA_SECTIONS = 32;
/** Most ICE candidates accepted in one description (each is paired and checked over the network). */
export const MAX_CANDIDATES = 100;

/** Attributes werift reads a value from: without one it crashes. */
const NEEDS_VALUE = new Set([
  'candidate', 'fingerprint', 'extmap', 'rtpmap', 'fmtp', 'rtcp-fb', 'ice-ufrag', 'ice-pwd', 'ice-options', 'mid', 'setup',
  'group', 'msid-semantic', 'msid', 'ssrc', 'ssrc-group', 'rtcp', 'rid', 'sctpmap', 'sctp-port', 'max-message-size',
]);
const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
const TRANSPORT: ReadonlyArray<[attribute: string, what: string]> = [
  ['ice-ufrag', 'ICE username fragment'],
  ['ice-pwd', 'ICE password'],
  ['fingerprint', 'DTLS certificate fingerprint'],
  ['setup', 'DTLS role'],
];

/** How voxrtc's codecs must appear in an a=rtpmap (encoding names are case-insensitive). */
const KNOWN_RTPMAPS: Record<string, { clockRate: number; channels: number[]; rule: string }> = {
  opus: { clockRate: 48000, channels: [1, 2], rule: 'opus/48000/2 (RFC 7587)' },
  pcmu: { clockRate: 8000, channels: [1], rule: 'PCMU/8000 (RFC 3551)' },
  pcma: { clockRate: 8000, channels: [1], rule: 'PCMA/8000 (RFC 3551)' },
};

interface Section {
  /** 1-based line number of the m= line. */
  line: number;
  kind: string;
  port: number;
  mid: string | undefined;
  direction: string;
  bundleOnly: boolean;
  attributes: Set<string>;
  /** Encoding names of its a=rtpmap lines, as written. */
  encodings: string[];
  /** Payload types with an a=rtpmap. */
  rtpmaps: Set<number>;
  /** a=fmtp payload types, with their line numbers. */
  fmtps: Array<[pt: number, line: number]>;
}

/**
 * Throws an Error naming what is wrong with `sdp` (the `name`, e.g. `offer`,
 * of a remote description), or returns when werift can safely apply it.
 * `where` starts the message, e.g. `PeerSession.answer`; `codecs` are the
 * audio codecs the session accepts (`opus`, `PCMU`, `PCMA`).
 */
export function checkRemoteSdp(where: string, name: string, sdp: string, type: 'offer' | 'answer', codecs: readonly string[]): void {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${name}.sdp ${what}`);
  };
  if (sdp.length > MAX_SDP_LENGTH) {
    fail(`is ${sdp.length} characters long; a WebRTC ${type} is a few kilobytes, and at most ${MAX_SDP_LENGTH} are accepted`);
  }
  // Split as werift does: CRLF, or LF when there is no CRLF at all.
  const lines = sdp.includes('\r\n') ? sdp.split('\r\n') : sdp.split('\n');

  const session = new Set<string>();
  const sections: Section[] = [];
  const mids = new Map<string, number>();
  const bundles: string[][] = [];
  let candidates = 0;
  let current: Section | undefined;
  let sessionDirection: string | undefined;

  lines.forEach((text, index) => {
    const n = index + 1;
    const at = `line ${n}`;
    const control = /[\x00-\x08\x0a-\x1f\x7f]/.exec(text);
    if (control) {
      const code = control[0].charCodeAt(0);
      fail(`${at} contains the control character 0x${code.toString(16).padStart(2, '0')}${code === 0x0a || code === 0x0d ? ' (mixed line endings)' : ''}; SDP is text`);
    }
    if (text === '') return; // a blank line: not SDP, but harmless (werift skips it too)
    if (!/^[a-z]=/.test(text)) fail(`${at} is not an SDP line (<letter>=<value>): ${quote(text)}`);

    if (text.startsWith('m=')) {
      if (sections.length === MAX_MEDIA_SECTIONS) fail(`has more than ${MAX_MEDIA_SECTIONS} m= sections; voxrtc accepts at most ${MAX_MEDIA_SECTIONS}`);
      // werift's own pattern: m=<kind> <port> <PROTO> <formats>
      const m = /^m=([^ ]+) ([0-9]+) ([A-Z/]+) (.+)$/.exec(text);
      if (!m) fail(`${at} is not a valid m= line (m=<media> <port> <PROTO> <formats>): ${quote(text)}`);
      const [, kind, portText, , formatText] = m as RegExpExecArray;
      if (!['audio', 'video', 'application'].includes(kind)) fail(`${at}: m=${kind} is not a kind of media WebRTC carries (audio, video, application)`);
      // werift negotiates a codec for every m=video section, even a disabled one, and has none configured: it would fail the whole description.
      if (kind === 'video') fail(`${at}: the ${type} has a video stream (m=video); voxrtc sessions carry audio only and cannot decline it: ${type === 'offer' ? 'offer audio only (no video transceiver)' : 'answer with audio only'}`);
      const port = Number(portText);
      if (port > 65535) fail(`${at}: port ${portText} is not a UDP port`);
      if (kind === 'audio') {
        const formats = formatText.split(' ');
        const seen = new Set<string>();
        for (const format of formats) {
          if (!/^\d{1,3}$/.test(format) || Number(format) > 127) {
            fail(`${at}: the m=audio line lists ${quote(format)} as a payload type; RTP payload types are 0 to 127`);
          }
          if (seen.has(format)) fail(`${at}: the m=audio line lists payload type ${format} twice (${formats.length} formats in all); each may appear once`);
          seen.add(format);
        }
      }
      current = { line: n, kind, port, mid: undefined, direction: sessionDirection ?? 'sendrecv', bundleOnly: false, attributes: new Set(), encodings: [], rtpmaps: new Set(), fmtps: [] };
      sections.push(current);
      return;
    }
    // werift's own pattern for addresses: IN IP4|IP6 <address>
    if (text.startsWith('c=') && !/^c=IN IP[46] [^ ]+$/.test(text)) fail(`${at} is not a valid c= line (c=IN IP4|IP6 <address>): ${quote(text)}`);
    if (!text.startsWith('a=')) return;

    const colon = text.indexOf(':');
    const attribute = colon < 0 ? text.slice(2) : text.slice(2, colon);
    const value = colon < 0 ? '' : text.slice(colon + 1);
    if (NEEDS_VALUE.has(attribute) && value.trim() === '') fail(`${at}: a=${attribute} has no value`);
    (current ? current.attributes : session).add(attribute);

    switch (attribute) {
      case 'group':
        if (value.startsWith('BUNDLE')) bundles.push(value.split(' ').slice(1));
        break;
      case 'candidate': {
        if (++candidates > MAX_CANDIDATES) fail(`has more than ${MAX_CANDIDATES} ICE candidates; at most ${MAX_CANDIDATES} are accepted`);
        // <foundation> <component> <transport> <priority> <address> <port> typ <type> …
        const bits = value.split(' ');
        if (bits.length < 8 || !/^\d+$/.test(bits[1]) || !/^\d+$/.test(bits[3]) || !/^\d+$/.test(bits[5]) || bits[6] !== 'typ') {
          fail(`${at}: a=candidate is malformed (expected <foundation> <component> <transport> <priority> <address> <port> typ <type>): ${quote(text)}`);
        }
        // werift would look any other name up in the DNS, for every connectivity check.
        if (isIP(bits[4]) === 0 && !/^[A-Za-z0-9-]+\.local$/.test(bits[4])) {
          fail(`${at}: the candidate's address ${quote(bits[4])} is neither an IP address nor an mDNS .local name (as browsers send); host names are not resolved`);
        }
        break;
      }
      case 'rtpmap': {
        const r = /^(\d{1,3}) ([^ /]+)\/(\d+)(?:\/(\d+))?$/.exec(value);
        if (!r || Number(r[1]) > 127) fail(`${at}: a=rtpmap is malformed (expected <payload type 0-127> <encoding>/<clock rate>[/<channels>]): ${quote(text)}`);
        const [, pt, encoding, clockRate, channels = '1'] = r as RegExpExecArray;
        current?.rtpmaps.add(Number(pt));
        if (current?.kind === 'audio') {
          const known = KNOWN_RTPMAPS[encoding.toLowerCase()];
          if (known && (Number(clockRate) !== known.clockRate || !known.channels.includes(Number(channels)))) {
            fail(`${at}: a=rtpmap:${pt} ${value.slice(pt.length + 1)} is not valid; ${encoding} is ${known.rule}`);
          }
          current.encodings.push(`${encoding}/${clockRate}${channels === '1' ? '' : `/${channels}`}`);
        }
        break;
      }
      case 'fmtp': {
        const pt = /^(\d{1,3})(?: |$)/.exec(value);
        if (!pt) fail(`${at}: a=fmtp is malformed (expected <payload type> <parameters>): ${quote(text)}`);
        current?.fmtps.push([Number((pt as RegExpExecArray)[1]), n]);
        break;
      }
      case 'mid': {
        if (!current) break;
        const earlier = mids.get(value);
        if (earlier !== undefined) fail(`${at}: a=mid:${value} is already the mid of the m= section on line ${earlier}; each m= section needs its own`);
        mids.set(value, current.line);
        current.mid = value;
        break;
      }
      case 'rtcp':
        // (RFC 3605 allows the port alone; werift crashes without the address)
        if (!/^\d+ IN IP[46] [^ ]+$/.test(value)) fail(`${at}: a=rtcp must be <port> IN IP4|IP6 <address>: ${quote(text)}`);
        break;
      case 'setup':
        if (!['actpass', 'active', 'passive'].includes(value)) fail(`${at}: a=setup must be actpass, active or passive; got ${quote(value)}`);
        break;
      case 'fingerprint':
        if (!/^[A-Za-z0-9-]+ [0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+$/.test(value)) fail(`${at}: a=fingerprint is malformed (expected <hash function> <hex bytes separated by colons>): ${quote(text)}`);
        break;
      case 'bundle-only':
        if (current) current.bundleOnly = true;
        break;
      default:
        if (DIRECTIONS.has(attribute)) {
          if (current) current.direction = attribute;
          else sessionDirection = attribute;
        }
    }
  });

  // werift attaches each a=fmtp to the a=rtpmap of its payload type in the same section (in any order), and crashes when there is none.
  for (const section of sections) {
    for (const [pt, line] of section.fmtps) {
      if (!section.rtpmaps.has(pt)) fail(`line ${line}: a=fmtp:${pt} has no a=rtpmap:${pt} in its m= section (line ${section.line})`);
    }
  }

  // JSEP (RFC 8829) gives every m= section an a=mid; werift cannot answer a media section without one.
  for (const section of sections) {
    if (section.mid === undefined) fail(`line ${section.line}: the m=${section.kind} section has no a=mid; every m= section of a WebRTC ${type} needs one`);
  }

  const audio = sections.filter((s) => s.kind === 'audio');
  if (audio.length === 0) fail(`has no audio (no m=audio section); voxrtc sessions carry audio`);

  // Every section that can be used needs ICE credentials and a DTLS
  // fingerprint and role: its own, the session's, or one from a section it is
  // bundled with (werift opens a transport for each, audio or not).
  const isEnabled = (s: Section): boolean => s.port !== 0 || s.bundleOnly;
  const enabled = audio.filter(isEnabled);
  for (const section of sections.filter(isEnabled)) {
    const group = bundles.find((g) => section.mid !== undefined && g.includes(section.mid)) ?? [];
    const bundled = sections.filter((s) => s.mid !== undefined && group.includes(s.mid));
    for (const [attribute, what] of TRANSPORT) {
      const found = section.attributes.has(attribute) || session.has(attribute) || bundled.some((s) => s.attributes.has(attribute));
      if (!found) {
        fail(`has no a=${attribute} (${what}) for the m=${section.kind} section on line ${section.line}${section.mid === undefined ? '' : ` (mid ${section.mid})`}; it could never connect`);
      }
    }
  }

  if (type === 'offer' && !enabled.some((s) => s.direction !== 'inactive')) {
    const why = audio.map((s) => (s.port === 0 && !s.bundleOnly ? `line ${s.line} has port 0 (the stream is disabled)` : `line ${s.line} is a=inactive`));
    fail(`offers no usable audio (${why.join('; ')}); nothing would flow either way`);
  }

  // werift negotiates every audio section, disabled or not, from its a=rtpmap lines only, and fails the whole description when one has no codec in common.
  const accepted = new Set(codecs.map((c) => c.toLowerCase()));
  for (const section of audio) {
    if (!section.encodings.some((e) => accepted.has(e.split('/')[0].toLowerCase()))) {
      const has = section.encodings.length > 0 ? section.encodings.join(', ') : 'no a=rtpmap';
      fail(`line ${section.line}: the m=audio section has no codec in common with this session (it has ${has}); voxrtc accepts ${codecs.join(', ')}`);
    }
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
