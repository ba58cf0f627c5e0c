// The operator's orders: move a client to another AP, move a radio to
// another channel.

import { useEffect, useState } from 'preact/hooks';
import type { Agent, Api, Client } from '../api';

interface Props {
  api: Api;
  agents: Agent[];
  clients: Client[];
  selected: string | null;
  onSelect: (mac: string) => void;
  onDone: () => void;
}

type Message = { ok: boolean; text: string } | null;

export function Controls({ api, agents, clients, selected, onSelect, onDone }: Props) {
  const [target, setTarget] = useState('');
  const [handoffMessage, setHandoffMessage] = useState<Message>(null);
  const [radio, setRadio] = useState('');
  const [channel, setChannel] = useState('');
  const [channelMessage, setChannelMessage] = useState<Message>(null);
  const [busy, setBusy] = useState(false);

  const client = clients.find((c) => c.mac === selected);
  const radios = agents.flatMap((a) => a.radios.map((r) => ({ agent: a, radio: r, key: `${a.name}/${r.index}` })));
  const chosen = radios.find((r) => r.key === radio);

  // A sensible default target: the first other AP that is up.
  useEffect(() => {
    if (client && (!target || target === client.lvap?.agent)) {
      const other = agents.find((a) => a.up && a.name !== client.lvap?.agent);
      if (other) setTarget(other.name);
    }
  }, [client?.mac, client?.lvap?.agent, agents.length]);

  useEffect(() => {
    if (!radio && radios.length) setRadio(radios[0].key);
  }, [radios.length]);

  const handoff = async () => {
    if (!client || !target) return;
    setBusy(true);
    setHandoffMessage(null);
    try {
      const r = await api.handoff(client.mac, target);
      setHandoffMessage({
        ok: true,
        text: r.already_serving
          ? `${target} serves ${client.mac} already`
          : `moved ${client.mac} to ${target} in ${((r.durations_us?.total ?? 0) / 1000).toFixed(1)} ms (handoff ${r.handoff})`,
      });
      onDone();
    } catch (e) {
      setHandoffMessage({ ok: false, text: `handoff refused: ${(e as Error).message}` });
    } finally {
      setBusy(false);
    }
  };

  const changeChannel = async () => {
    if (!chosen || !channel) return;
    setBusy(true);
    setChannelMessage(null);
    try {
      await api.setChannel(chosen.agent.name, chosen.radio.index, Number(channel));
      setChannelMessage({ ok: true, text: `${chosen.key} is on channel ${channel}` });
      onDone();
    } catch (e) {
      setChannelMessage({ ok: false, text: `channel change refused: ${(e as Error).message}` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="controls">
      <form
        class="control"
        data-testid="handoff-form"
        onSubmit={(e) => {
          e.preventDefault();
          void handoff();
        }}
      >
        <h3>Manual handoff</h3>
        <label>
          Client
          <select name="client" value={selected ?? ''} onChange={(e) => onSelect((e.target as HTMLSelectElement).value)}>
            <option value="" disabled>
              pick a client
            </option>
            {clients.map((c) => (
              <option key={c.mac} value={c.mac}>
                {c.mac} {c.lvap ? `(on ${c.lvap.agent})` : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          to AP
          <select name="agent" value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
            <option value="" disabled>
              pick an AP
            </option>
            {agents.map((a) => (
              <option key={a.name} value={a.name} disabled={!a.up}>
                {a.name}
                {a.name === client?.lvap?.agent ? ' (serving)' : ''}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy || !client || !target}>
          Hand off
        </button>
        {handoffMessage && <p class={`small ${handoffMessage.ok ? 'ok' : 'failure'}`}>{handoffMessage.text}</p>}
      </form>
      <form
        class="control"
        data-testid="channel-form"
        onSubmit={(e) => {
          e.preventDefault();
          void changeChannel();
        }}
      >
        <h3>Channel</h3>
        <label>
          Radio
          <select name="radio" value={radio} onChange={(e) => setRadio((e.target as HTMLSelectElement).value)}>
            {radios.map((r) => (
              <option key={r.key} value={r.key}>
                {r.key} (ch {r.radio.channel})
              </option>
            ))}
          </select>
        </label>
        <label>
          to channel
          <select name="channel" value={channel} onChange={(e) => setChannel((e.target as HTMLSelectElement).value)}>
            <option value="" disabled>
              pick
            </option>
            {chosen?.radio.channels.map((ch) => (
              <option key={ch} value={String(ch)}>
                {ch}
                {ch === chosen.radio.channel ? ' (current)' : ''}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy || !chosen || !channel}>
          Change channel
        </button>
        {channelMessage && <p class={`small ${channelMessage.ok ? 'ok' : 'failure'}`}>{channelMessage.text}</p>}
      </form>
    </div>
  );
}
