import { readFile } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { MqttSettings } from '../../config/mqtt.js';
import { listenOn } from '../../http/listen.js';
import { routeUpgrade } from '../../http/upgrade-routes.js';
import type { Logger } from '../../logger.js';
import { mqttConnections } from '../../metrics/ingest-metrics.js';
import type { DeviceRepository } from '../../ports/device-repository.js';
import type { MqttDeviceGateway } from './device-gateway.js';
import { serveMqttSession, type MqttSession } from './mqtt-session.js';
import { REASON } from './reason-codes.js';

/** How often open connections' tokens are checked again (revoked, rotated out, disabled). */
const RECHECK_MS = 5_000;
/** Tokens re-checked per query. */
const RECHECK_BATCH = 10_000;

export interface MqttListenerOptions {
  settings: MqttSettings;
  host: string;
  gateway: MqttDeviceGateway;
  devices: Pick<DeviceRepository, 'findIdentitiesByTokenHashes'>;
  maxPacketBytes: number;
  /** The ingest HTTP server: MQTT over WebSocket is served at /mqtt on it. */
  httpServer: HttpServer;
  logger: Logger;
}

const listen = async (server: net.Server, port: number, host: string) =>
  (await listenOn(server, port, host)).port;

/**
 * Ingest's MQTT side: TCP on MQTT_PORT, TLS on MQTTS_PORT, WebSocket at /mqtt on the ingest HTTP
 * port, each connection an mqtt-session.ts. Every 5 s the open connections' tokens are looked
 * up again, 10,000 to a query: a device disabled, or a token revoked or past its rotation grace,
 * is disconnected within seconds, at one query per 10,000 connections.
 */
export function createMqttListeners(options: MqttListenerOptions) {
  const { settings, host, gateway, devices, maxPacketBytes, logger } = options;
  const sessions = new Set<MqttSession>();
  // Every connection, authenticated or not, so a stop leaves none open.
  const streams = new Set<Duplex>();
  const hooks = {
    opened: (session: MqttSession) => sessions.add(session),
    closed: (session: MqttSession) => sessions.delete(session),
  };
  const serve = (stream: Duplex, client: string) => {
    streams.add(stream);
    stream.once('close', () => streams.delete(stream));
    serveMqttSession(stream, client, { gateway, maxPacketBytes, logger }, hooks);
  };
  const onSocket = (socket: net.Socket) => {
    socket.setNoDelay(true);
    serve(socket, socket.remoteAddress ?? 'unknown');
  };

  const servers: net.Server[] = [];
  const webSockets = new WebSocketServer({
    noServer: true,
    maxPayload: maxPacketBytes,
    // MQTT over WebSocket names its subprotocol `mqtt` (MQTT 5.0, section 6).
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  webSockets.on('connection', (ws, req) => {
    serve(createWebSocketStream(ws), req.socket.remoteAddress ?? 'unknown');
  });
  let unroute: (() => void) | undefined;
  let recheck: NodeJS.Timeout | undefined;
  let untrack: (() => void) | undefined;

  async function recheckSessions() {
    const open = [...sessions];
    for (let start = 0; start < open.length; start += RECHECK_BATCH) {
      const batch = open.slice(start, start + RECHECK_BATCH);
      const identities = await devices.findIdentitiesByTokenHashes(
        batch.map((session) => session.tokenHash),
      );
      for (const session of batch) {
        const identity = identities.get(session.tokenHash);
        if (identity?.status === 'ACTIVE') continue;
        gateway.forget(session.tokenHash);
        session.disconnect(
          REASON.NOT_AUTHORIZED,
          identity ? 'the device is disabled' : 'the device token was revoked',
        );
      }
    }
  }

  return {
    /** Starts the listeners that are on; resolves with their ports (null: off). */
    async start(): Promise<{ tcp: number | null; tls: number | null }> {
      let tcpPort: number | null = null;
      let tlsPort: number | null = null;
      if (settings.port !== null) {
        const server = net.createServer(onSocket);
        tcpPort = await listen(server, settings.port, host);
        servers.push(server);
      }
      if (settings.tls !== null) {
        const [cert, key] = await Promise.all([
          readFile(settings.tls.certFile),
          readFile(settings.tls.keyFile),
        ]);
        const server = tls.createServer({ cert, key }, onSocket);
        tlsPort = await listen(server, settings.tls.port, host);
        servers.push(server);
      }
      unroute = routeUpgrade(options.httpServer, '/mqtt', (req, socket, head) =>
        webSockets.handleUpgrade(req, socket, head, (ws) => webSockets.emit('connection', ws, req)),
      );
      recheck = setInterval(() => {
        recheckSessions().catch((error: unknown) =>
          logger.warn({ err: error }, 'MQTT token re-check failed; the next one decides'),
        );
      }, RECHECK_MS);
      recheck.unref();
      untrack = mqttConnections.track(() => sessions.size);
      return { tcp: tcpPort, tls: tlsPort };
    },
    /** For readiness: every listener that was started still listens. */
    listening: () => servers.every((server) => server.listening),
    connections: () => sessions.size,
    /** Stops accepting, then tells every device the server is shutting down. */
    async close() {
      clearInterval(recheck);
      unroute?.();
      untrack?.();
      const closing = servers.map(
        (server) => new Promise<void>((resolve) => server.close(() => resolve())),
      );
      for (const session of sessions) {
        session.disconnect(REASON.SERVER_SHUTTING_DOWN, 'the server is shutting down');
      }
      for (const stream of streams) stream.destroy();
      for (const ws of webSockets.clients) ws.terminate();
      await Promise.all(closing);
    },
  };
}
