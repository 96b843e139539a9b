import { useEffect, useState } from "preact/hooks";
import type { Channel, ChannelItemRef, ChannelSources, ChannelSummary } from "../../../../src/shared/contracts/channels.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, ErrorLine, Spinner, useAsync } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { useSession } from "../../session.tsx";

type Draft = { id: string | null; name: string; coverUrl: string; items: (ChannelItemRef & { title: string })[]; takeoverShowIds: string[] };

/** The merchant's channels: create and edit (playlist order by buttons, so by keyboard too), compile progress and problems. */
export function ChannelsTab() {
  const { m } = useI18n();
  const { user } = useSession();
  const merchantId = user?.merchantId ?? "";
  const list = useAsync(() => api.channels.ofMerchant(merchantId), [merchantId]);
  const sources = useAsync(() => api.channels.sources(), [merchantId]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  if ((list.loading && !list.data) || (sources.loading && !sources.data)) return <Spinner />;
  if (list.error || sources.error) return <ErrorBox error={list.error ?? sources.error} onRetry={() => (list.reload(), sources.reload())} />;
  const items = list.data?.items ?? [];

  const edit = async (c: ChannelSummary) => {
    const full = await api.channels.get(c.id);
    setDraft({ id: full.id, name: full.name, coverUrl: full.coverUrl ?? "", items: full.items.map((i) => ({ kind: i.kind, refId: i.refId, title: i.title })), takeoverShowIds: full.takeoverShowIds });
  };

  return (
    <section class="channels-tab" aria-labelledby="channels-h">
      <div class="channels-head">
        <h2 id="channels-h">{m.channels.listTitle}</h2>
        {!draft && (
          <button type="button" class="btn btn-primary" data-testid="channel-new" onClick={() => setDraft({ id: null, name: "", coverUrl: "", items: [], takeoverShowIds: [] })}>
            {m.channels.newChannel}
          </button>
        )}
      </div>
      {draft && sources.data && (
        <ChannelEditor
          draft={draft}
          sources={sources.data}
          onCancel={() => setDraft(null)}
          onSaved={(c) => {
            setDraft(null);
            setOpen(c.id);
            list.reload();
          }}
        />
      )}
      {items.length === 0 && !draft ? (
        <p class="empty">{m.channels.none}</p>
      ) : (
        <ul class="channels-list">
          {items.map((c) => (
            <li key={c.id} class="card channels-row">
              <div class="channels-row-head">
                <strong>{c.name}</strong>
                <span class="channels-row-actions">
                  <Link class="btn btn-small" href={`/channels/${c.id}`}>
                    {m.channels.view}
                  </Link>
                  <button type="button" class="btn btn-small" onClick={() => void edit(c)}>
                    {m.channels.edit}
                  </button>
                </span>
              </div>
              <CompileStatus channelId={c.id} watch={open === c.id} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The channel's compile job: status, progress, and the items it left out; polled while it runs. */
function CompileStatus({ channelId, watch }: { channelId: string; watch: boolean }) {
  const { m } = useI18n();
  const [c, setC] = useState<Channel | null>(null);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      const got = await api.channels.get(channelId).catch(() => null);
      if (stop) return;
      if (got) setC(got);
      if (!got || got.compile.status === "queued" || got.compile.status === "running" || got.compile.stale) timer = setTimeout(tick, 1000);
    };
    void tick();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [channelId, watch]);
  if (!c) return null;
  const pct = Math.round(c.compile.progress * 100);
  return (
    <div class="channels-compile" data-testid="channel-compile" data-status={c.compile.status}>
      <p role="status">
        {m.channels.compile[c.compile.status]}
        {c.compile.status === "running" && ` · ${m.channels.progress(pct)}`}
        {c.compile.status === "done" && c.loopMs > 0 && ` · ${m.channels.loop(Math.max(1, Math.round(c.loopMs / 60000)))}`}
      </p>
      {(c.compile.status === "running" || c.compile.status === "queued") && <progress max={100} value={pct} aria-label={m.channels.compile.running} />}
      <ErrorLine text={c.compile.error} small />
      <ul class="channels-problems">
        {c.items
          .filter((i) => i.problem)
          .map((i) => (
            <li key={i.refId}>
              <strong>{i.title || i.refId}</strong>: {m.channels.problem(i.problem!)}
            </li>
          ))}
      </ul>
    </div>
  );
}

function ChannelEditor({ draft, sources, onCancel, onSaved }: { draft: Draft; sources: ChannelSources; onCancel(): void; onSaved(c: Channel): void }) {
  const { m, errorText } = useI18n();
  const [d, setD] = useState<Draft>(draft);
  const [pick, setPick] = useState("");
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [announce, setAnnounce] = useState("");
  const options = [
    ...sources.replays.map((r) => ({ value: `replay:${r.showId}`, kind: "replay" as const, refId: r.showId, title: r.title })),
    ...sources.videos.map((v) => ({ value: `video:${v.videoId}`, kind: "video" as const, refId: v.videoId, title: v.title })),
  ];

  const move = (i: number, by: number) => {
    const j = i + by;
    if (j < 0 || j >= d.items.length) return;
    const items = [...d.items];
    [items[i], items[j]] = [items[j]!, items[i]!];
    setD({ ...d, items });
    setAnnounce(m.channels.moved(items[j]!.title, j + 1));
    // keep the focus on the same button of the moved item
    requestAnimationFrame(() => document.querySelector<HTMLButtonElement>(`[data-move="${by < 0 ? "up" : "down"}-${j}"]`)?.focus());
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const body = { name: d.name, coverUrl: d.coverUrl.trim() || null, items: d.items.map(({ kind, refId }) => ({ kind, refId })), takeoverShowIds: d.takeoverShowIds };
      onSaved(d.id ? await api.channels.update(d.id, body) : await api.channels.create(body));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="card channels-editor" onSubmit={save} data-testid="channel-editor">
      <label class="field">
        <span>{m.channels.name}</span>
        <input required maxLength={80} value={d.name} onInput={(e) => setD({ ...d, name: e.currentTarget.value })} data-testid="channel-name" />
      </label>
      <label class="field">
        <span>{m.channels.cover}</span>
        <input type="url" maxLength={500} value={d.coverUrl} onInput={(e) => setD({ ...d, coverUrl: e.currentTarget.value })} />
      </label>
      <fieldset>
        <legend>{m.channels.playlist}</legend>
        <p class="muted">{m.channels.playlistHelp}</p>
        {d.items.length === 0 ? (
          <p class="empty">{m.channels.empty}</p>
        ) : (
          <ol class="channels-playlist" data-testid="channel-playlist">
            {d.items.map((it, i) => (
              <li key={`${it.kind}:${it.refId}:${i}`} class="channels-item">
                <span class="channels-item-kind">{it.kind === "replay" ? m.channels.replay : m.channels.video}</span>
                <span class="channels-item-title">{it.title}</span>
                <span class="channels-sr-only">{m.channels.position(i + 1, d.items.length)}</span>
                <span class="channels-item-actions">
                  <button type="button" class="icon-btn" data-move={`up-${i}`} disabled={i === 0} aria-label={m.channels.moveUp(it.title)} onClick={() => move(i, -1)}>
                    ↑
                  </button>
                  <button type="button" class="icon-btn" data-move={`down-${i}`} disabled={i === d.items.length - 1} aria-label={m.channels.moveDown(it.title)} onClick={() => move(i, 1)}>
                    ↓
                  </button>
                  <button type="button" class="icon-btn" aria-label={m.channels.remove(it.title)} onClick={() => setD({ ...d, items: d.items.filter((_, k) => k !== i) })}>
                    ×
                  </button>
                </span>
              </li>
            ))}
          </ol>
        )}
        <p class="channels-sr-only" aria-live="polite">
          {announce}
        </p>
        <div class="channels-add">
          <label class="field">
            <span>{m.channels.add}</span>
            <select value={pick} onChange={(e) => setPick(e.currentTarget.value)} data-testid="channel-add-pick">
              <option value="">{m.channels.addPick}</option>
              {options.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.kind === "replay" ? m.channels.replay : m.channels.video}: {o.title}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            class="btn"
            data-testid="channel-add"
            disabled={!pick}
            onClick={() => {
              const o = options.find((x) => x.value === pick);
              if (o) setD({ ...d, items: [...d.items, { kind: o.kind, refId: o.refId, title: o.title }] });
              setPick("");
            }}
          >
            {m.channels.addButton}
          </button>
        </div>
      </fieldset>
      <fieldset>
        <legend>{m.channels.takeover}</legend>
        <p class="muted">{m.channels.takeoverHelp}</p>
        {sources.shows.length === 0 && <p class="empty">{m.channels.noShows}</p>}
        <div class="check-list">
        {sources.shows.map((s) => (
          <label key={s.showId}>
            <input
              type="checkbox"
              checked={d.takeoverShowIds.includes(s.showId)}
              onChange={(e) => setD({ ...d, takeoverShowIds: e.currentTarget.checked ? [...d.takeoverShowIds, s.showId] : d.takeoverShowIds.filter((x) => x !== s.showId) })}
            />{" "}
            {s.title}
          </label>
        ))}
        </div>
      </fieldset>
      <ErrorLine text={error} />
      <div class="channels-editor-actions">
        <button type="submit" class="btn btn-primary" disabled={saving} data-testid="channel-save">
          {saving ? m.channels.saving : m.channels.save}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          {m.channels.cancel}
        </button>
      </div>
    </form>
  );
}
