import {
  RTCRtpCodecParameters,
  useAudioLevelIndication,
  type PeerConfig,
  type RTCIceServer,
} from 'werift';
import { checkBoolean, checkInteger, checkOneOf, checkOptions, invalidRange, invalidType } from '../core/validate';

/** Codecs voxrtc negotiates, in order of preference unless reordered. */
export type CodecName = 'opus' | 'PCMU' | 'PCMA';

/** Network options shared by every peer session. */
export interface NetworkOptions {
  /**
   * STUN/TURN servers. Default: none — nothing leaves the machine unless you
   * configure a server (host candidates work on a LAN and on loopback).
   */
  iceServers?: RTCIceServer[];
  /** Offer 127.0.0.1 as a host candidate (for peers on the same machine). Default false. */
  loopback?: boolean;
  /** Use IPv6 host candidates too. Default false. */
  ipv6?: boolean;
  /** UDP port range for ICE, `[min, max]` with min < max. Default: any port. */
  portRange?: [number, number];
  /** Audio codecs to accept, most preferred first. Default `['opus', 'PCMU', 'PCMA']`. */
  codecs?: CodecName[];
}

/** @internal The normalised network options. */
export interface ResolvedNetwork {
  iceServers: RTCIceServer[];
  loopback: boolean;
  ipv6: boolean;
  portRange: [number, number] | undefined;
  codecs: CodecName[];
}

const CODECS: readonly CodecName[] = ['opus', 'PCMU', 'PCMA'];

/** @internal Validates {@link NetworkOptions}. */
export function resolveNetwork(where: string, options: NetworkOptions): ResolvedNetwork {
  const o = checkOptions(where, options, ['iceServers', 'loopback', 'ipv6', 'portRange', 'codecs']);
  const iceServers = (o.iceServers ?? []) as RTCIceServer[];
  if (!Array.isArray(iceServers)) throw invalidType(where, 'options.iceServers', 'an array of { urls, username?, credential? }', o.iceServers);
  for (const [i, server] of iceServers.entries()) {
    if (server === null || typeof server !== 'object' || typeof server.urls !== 'string') {
      throw invalidType(where, `options.iceServers[${i}]`, "an object { urls: 'stun:host:port' | 'turn:…', username?, credential? }", server);
    }
  }
  let portRange: [number, number] | undefined;
  if (o.portRange !== undefined) {
    if (!Array.isArray(o.portRange) || o.portRange.length !== 2) throw invalidType(where, 'options.portRange', 'a pair [min, max]', o.portRange);
    const min = checkInteger(where, 'options.portRange[0]', o.portRange[0], 1024, 65534);
    const max = checkInteger(where, 'options.portRange[1]', o.portRange[1], 1025, 65535);
    if (min >= max) throw invalidRange(where, 'options.portRange', 'a pair [min, max] with min < max', `[${min}, ${max}]`);
    portRange = [min, max];
  }
  const codecs = (o.codecs ?? [...CODECS]) as unknown[];
  if (!Array.isArray(codecs) || codecs.length === 0) throw invalidType(where, 'options.codecs', "a non-empty array of 'opus', 'PCMU', 'PCMA'", o.codecs);
  const names = codecs.map((c, i) => checkOneOf(where, `options.codecs[${i}]`, c, CODECS));
  return {
    iceServers,
    loopback: checkBoolean(where, 'options.loopback', o.loopback ?? false),
    ipv6: checkBoolean(where, 'options.ipv6', o.ipv6 ?? false),
    portRange,
    codecs: [...new Set(names)],
  };
}

/** @internal werift codec parameters for one of our codecs. */
export function codecParameters(name: CodecName): RTCRtpCodecParameters {
  switch (name) {
    case 'opus':
      // Opus is always "/2" in SDP; in-band FEC on, so a lost packet can be rebuilt from the next.
      return new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111, parameters: 'minptime=10;useinbandfec=1' });
    case 'PCMU':
      return new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 });
    case 'PCMA':
      return new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 });
  }
}

/** @internal The werift configuration for a session. */
export function peerConfig(network: ResolvedNetwork): Partial<PeerConfig> {
  return {
    codecs: { audio: network.codecs.map(codecParameters), video: [] },
    headerExtensions: { audio: [useAudioLevelIndication()] },
    iceServers: network.iceServers,
    iceUseIpv4: true,
    iceUseIpv6: network.ipv6,
    iceAdditionalHostAddresses: network.loopback ? ['127.0.0.1'] : undefined,
    icePortRange: network.portRange,
  };
}
