import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Question, Show, StudioInfo } from "../../../../src/shared/contracts/shows.ts";
import { api } from "../../api/endpoints.ts";
import { isApiError } from "../../api/client.ts";
import { HlsVideo } from "../../components/hls-video.tsx";
import { CopyButton, ErrorBox, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { roomErrorText, useI18n } from "../../i18n/index.tsx";
import { useRoom, type Room } from "../../room/use-room.ts";
import { Link } from "../../router.tsx";
import { signInHref, useSession } from "../../session.tsx";
import { BusyChatNote, ChatOverlay, Composer } from "../show/chat.tsx";
import { StatusBadge } from "./studio-list.tsx";
import { FlashPanel } from "./flash-panel.tsx";
import { CameraPanel } from "./camera-panel.tsx";
import { ClipsPanel } from "./clips-panel.tsx";
import { ChatLineActions, ModerationPanel, useStudioModeration, type StudioModeration } from "./moderation-panel.tsx";

function StreamSetup({ info, onRotated }: { info: StudioInfo; onRotated(i: StudioInfo): void }) {
  const { m, errorText } = useI18n();
  const [reveal, setReveal] = useState(false);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const rotate = async () => {
    if (!confirm(m.studio.rotateConfirm)) return;
    setBusy(true);
    setMsg(null);
    try {
      onRotated(await api.host.rotateKey(info.showId));
      setMsg(m.studio.rotated);
    } catch (err) {
      setMsg(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="setup-title">
      <h2 id="setup-title" class="card-title">
        {m.studio.setup}
      </h2>
      <p class="hint">{m.studio.setupHint}</p>
      <div class="field">
        <label for="rtmp-url">{m.studio.rtmpUrl}</label>
        <div class="input-row">
          <input id="rtmp-url" data-testid="rtmp-url" readOnly value={info.rtmpUrl} class="mono" onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={info.rtmpUrl} label={m.studio.rtmpUrl} />
        </div>
      </div>
      <div class="field">
        <label for="whip-url">{m.studio.whipUrl}</label>
        <div class="input-row">
          <input id="whip-url" data-testid="whip-url" readOnly value={info.whipUrl} class="mono" onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={info.whipUrl} label={m.studio.whipUrl} />
        </div>
      </div>
      <div class="field">
        <label for="stream-key">{m.studio.streamKey}</label>
        <div class="input-row">
          <input id="stream-key" data-testid="stream-key" readOnly type={reveal ? "text" : "password"} value={info.streamKey} class="mono" autocomplete="off" onFocus={(e) => e.currentTarget.select()} />
          <button type="button" class="btn btn-small btn-ghost" aria-pressed={reveal} onClick={() => setReveal((r) => !r)}>
            {reveal ? m.studio.hideKey : m.studio.showKey}
          </button>
          <CopyButton text={info.streamKey} label={m.studio.streamKey} />
        </div>
      </div>
      <button type="button" class="btn btn-small btn-danger-ghost" onClick={rotate} disabled={busy} data-testid="rotate-key">
        {m.studio.rotate}
      </button>
      {msg && (
        <p class="hint" role="status">
          {msg}
        </p>
      )}
    </section>
  );
}

function QuestionItem({ q, showId, productTitle, onDone }: { q: Question; showId: string; productTitle: string | null; onDone(q: Question): void }) {
  const { m, fmt, errorText } = useI18n();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<Question>) => {
    setBusy(true);
    setError(null);
    try {
      onDone(await fn());
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const id = `answer-${q.id}`;
  return (
    <li class="question">
      <p class="question-meta">
        <strong>{q.author.name}</strong> · <time dateTime={q.createdAt}>{fmt.time(q.createdAt)}</time>
        {productTitle && <span class="chip">{m.studio.about(productTitle)}</span>}
      </p>
      <p class="question-text">{q.text}</p>
      <form
        class="input-row question-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) void act(() => api.host.answer(showId, q.id, text.trim()));
        }}
      >
        <label class="visually-hidden" for={id}>
          {m.studio.answerLabel(q.author.name)}
        </label>
        <input id={id} data-testid="answer-input" value={text} maxLength={500} placeholder={m.studio.answerPlaceholder} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit" class="btn btn-small btn-primary" data-testid="answer-button" disabled={busy || !text.trim()}>
          {m.studio.answer}
        </button>
        <button type="button" class="btn btn-small btn-ghost" data-testid="dismiss-button" disabled={busy} onClick={() => void act(() => api.host.dismiss(showId, q.id))}>
          {m.studio.dismiss}
        </button>
      </form>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/** The room's chat with a moderation menu on each message from someone else. */
function StudioChat({ room, mod, signedIn, ended }: { room: Room; mod: StudioModeration | null; signedIn: boolean; ended: boolean }) {
  const { m } = useI18n();
  const { state } = room;
  return (
    <section class="card studio-chat" aria-labelledby="chat-title" data-testid="studio-chat">
      <h2 id="chat-title" class="card-title">
        {m.studio.chat}
      </h2>
      <BusyChatNote sampling={state.chatSampling} />
      {mod?.notice && (
        <p class="flash" role="status" data-testid="moderation-notice">
          {mod.notice}
        </p>
      )}
      {state.chat.length === 0 && <p class="empty">{m.studio.noChat}</p>}
      <ChatOverlay
        chat={state.chat}
        questions={[]}
        you={state.you}
        productTitles={new Map()}
        actions={mod?.settings ? (line) => <ChatLineActions line={line} you={state.you} mod={mod} /> : undefined}
      />
      {!ended && <Composer canChat={signedIn && (state.you?.canChat ?? true)} connected={state.connection === "open"} askAvailable={false} onSend={room.sendChat} onAsk={() => false} />}
    </section>
  );
}

export function StudioPage({ showId }: { showId: string }) {
  const { m, fmt, errorText } = useI18n();
  const { user } = useSession();
  const showReq = useAsync(() => api.shows.get(showId), [showId]);
  const studioReq = useAsync(() => api.host.studio(showId), [showId, user?.id]);
  const initialQuestions = useAsync(() => api.host.openQuestions(showId), [showId, user?.id]);
  const room = useRoom(showId);
  const { state } = room;
  const mod = useStudioModeration(showId, user?.id, state.ready ? state.slowModeSeconds : null);
  const [resolved, setResolved] = useState<Record<string, Question>>({});
  const [showcaseBusy, setShowcaseBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  const show: Show | undefined = showReq.data;
  useTitle(show ? `${m.studio.title}: ${show.title}` : m.studio.title);
  const info = studioReq.data;
  const status = state.status ?? info?.status ?? show?.status ?? null;

  // When the stream arrives, the preview URL does too.
  useEffect(() => {
    if (status === "live" && info && !info.previewUrl) {
      const t = setTimeout(studioReq.reload, 1500);
      return () => clearTimeout(t);
    }
    // Each reload gives a new `info`, so this keeps polling until the URL is there.
  }, [status, info]);

  useEffect(() => {
    if (!state.error) return;
    const t = setTimeout(room.dismissError, 4000);
    return () => clearTimeout(t);
  }, [state.error]);

  if (user === null)
    return (
      <section class="page narrow">
        <Link class="btn btn-primary" href={signInHref(`/studio/${showId}`)}>
          {m.nav.signIn}
        </Link>
      </section>
    );
  // Not the host nor staff: a moderator of this show still gets the chat and the moderation card.
  const studioForbidden = isApiError(studioReq.error) && studioReq.error.code === "forbidden";
  if (studioForbidden && show && mod.settings) return <ModeratorStudio show={show} room={room} mod={mod} signedIn={!!user} />;
  if (studioForbidden && !mod.error) return <Spinner />;
  if (showReq.error || studioReq.error) return <section class="page">{<ErrorBox error={showReq.error ?? studioReq.error} onRetry={() => (showReq.reload(), studioReq.reload())} />}</section>;
  if (!show || !info) return <Spinner />;

  // Open questions: the ones we fetched, kept current by the room, minus those just handled here.
  const byId = new Map<string, Question>();
  for (const q of initialQuestions.data?.items ?? []) byId.set(q.id, q);
  for (const q of state.questions) byId.set(q.id, q);
  for (const q of Object.values(resolved)) byId.set(q.id, q);
  const open = [...byId.values()].filter((q) => q.status === "open").sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const productTitle = (id: string | null) => (id ? (show.products.find((p) => p.id === id)?.title ?? null) : null);

  const counters = state.counters;
  const revenue = counters?.revenue.length ? counters.revenue.map((r) => fmt.money(r.amount, r.currency)).join(" + ") : fmt.money(0, show.products[0]?.currency ?? "EUR");
  // The studio shows the host's choice at once; viewers get it on the frame it happened on.
  const latestShowcase = state.pendingShowcase ? state.pendingShowcase.product : state.showcased;
  const showcasedId = state.ready ? (latestShowcase?.id ?? null) : show.showcasedProductId;

  const showcase = async (productId: string | null) => {
    setShowcaseBusy(true);
    setActionError(null);
    try {
      await api.host.showcase(showId, productId);
    } catch (err) {
      setActionError(errorText(err));
    } finally {
      setShowcaseBusy(false);
    }
  };

  const endShow = async () => {
    if (!confirm(m.studio.endConfirm)) return;
    setActionError(null);
    try {
      await api.host.end(showId);
      showReq.reload();
      studioReq.reload();
    } catch (err) {
      setActionError(errorText(err));
    }
  };

  return (
    <div class="page studio">
      <StudioHead show={show} status={status ?? show.status} role={m.studio.title}>
        <Link class="btn btn-small btn-ghost" href={`/dashboard/shows/${show.id}`} data-testid="open-dashboard">
          {m.dashboard.liveLink}
        </Link>
        {status !== "ended" && (
          <button type="button" class="btn btn-small btn-danger" data-testid="end-show" onClick={endShow}>
            {m.studio.endShow}
          </button>
        )}
      </StudioHead>
      {actionError && (
        <p class="form-error" role="alert">
          {actionError}
        </p>
      )}
      {state.error && (
        <p class="form-error" role="alert">
          {roomErrorText(m, state.error.code, state.error.message)}
        </p>
      )}

      <section class="counters" aria-label={m.studio.counters}>
        <div class="counter">
          <span class="counter-label">{m.studio.viewers}</span>
          <span class="counter-value" data-testid="counter-viewers">
            {fmt.number(counters?.viewers ?? state.viewers)}
          </span>
        </div>
        <div class="counter">
          <span class="counter-label">{m.studio.likes}</span>
          <span class="counter-value" data-testid="counter-likes">
            {fmt.number(Math.max(counters?.likes ?? 0, state.likes))}
          </span>
        </div>
        <div class="counter">
          <span class="counter-label">{m.studio.orders}</span>
          <span class="counter-value" data-testid="counter-orders">
            {fmt.number(counters?.orders ?? 0)}
          </span>
        </div>
        <div class="counter">
          <span class="counter-label">{m.studio.revenue}</span>
          <span class="counter-value" data-testid="counter-revenue">
            {revenue}
          </span>
        </div>
      </section>

      <div class="studio-grid">
        <div class="studio-col">
          <section class="card preview-card" aria-labelledby="preview-title">
            <h2 id="preview-title" class="card-title">
              {m.studio.preview}
            </h2>
            <div class="preview">
              {status === "live" && (info.previewUrl ?? show.playbackUrl) ? (
                <HlsVideo src={info.previewUrl ?? show.playbackUrl} muted class="preview-video" data-testid="preview-video" aria-label={m.studio.preview} controls />
              ) : (
                <p class="preview-empty">{status === "ended" ? m.studio.endedPreview : m.studio.noPreview}</p>
              )}
            </div>
          </section>
          <CameraPanel info={info} status={status} onLive={studioReq.reload} />
          {status !== "ended" && <StreamSetup info={info} onRotated={(i) => studioReq.setData(i)} />}
          <ModerationPanel mod={mod} canManage />
        </div>

        <div class="studio-col">
          {status === "ended" && <ClipsPanel showId={showId} />}
          <FlashPanel showId={showId} products={show.products} status={status} sales={state.flashSales} onLaunched={showReq.reload} />
          <section class="card" aria-labelledby="products-title">
            <div class="card-head">
              <h2 id="products-title" class="card-title">
                {m.studio.products}
              </h2>
              <button type="button" class="btn btn-small btn-ghost" disabled={!showcasedId || showcaseBusy} onClick={() => void showcase(null)} data-testid="hide-card">
                {m.studio.hideCard}
              </button>
            </div>
            {show.products.length === 0 ? (
              <p class="empty">{m.studio.noProducts}</p>
            ) : (
              <ul class="showcase-list">
                {show.products.map((p) => {
                  const current = p.id === showcasedId;
                  return (
                    <li key={p.id} class={current ? "current" : ""}>
                      {p.images[0] ? <img src={p.images[0]} alt="" class="thumb-sm" /> : <span class="thumb-sm" aria-hidden="true" />}
                      <span class="grow">
                        <strong class="block">{p.title}</strong>
                        <span class="muted block">
                          {fmt.money(Math.min(...p.variants.map((v) => v.price)), p.currency)} · {m.products.stock(p.variants.reduce((s, v) => s + v.stock, 0))}
                        </span>
                      </span>
                      <button
                        type="button"
                        class={`btn btn-small ${current ? "btn-on" : ""}`}
                        data-testid={`showcase-${p.id}`}
                        aria-pressed={current}
                        disabled={showcaseBusy || status === "ended"}
                        onClick={() => void showcase(p.id)}
                      >
                        {current ? m.studio.showcased : m.studio.showcase}
                      </button>
                    </li>
                  );
                })}
              </ul>
            )}
          </section>

          <section class="card" aria-labelledby="questions-title">
            <h2 id="questions-title" class="card-title">
              {m.studio.questions} {open.length > 0 && <span class="count-pill">{open.length}</span>}
            </h2>
            <ul class="question-queue" data-testid="question-queue" aria-live="polite">
              {open.length === 0 && <li class="empty">{m.studio.noQuestions}</li>}
              {open.map((q) => (
                <QuestionItem key={q.id} q={q} showId={showId} productTitle={productTitle(q.productId)} onDone={(done) => setResolved((r) => ({ ...r, [done.id]: done }))} />
              ))}
            </ul>
          </section>
        </div>

        <div class="studio-col">
          <section class="card" aria-labelledby="orders-title">
            <h2 id="orders-title" class="card-title">
              {m.studio.orderFeed}
            </h2>
            <ol class="order-feed" data-testid="order-feed" aria-live="polite">
              {state.orders.length === 0 && <li class="empty">{m.studio.noOrders}</li>}
              {state.orders.map((o) => (
                <li key={o.orderId}>
                  <span class="grow">{m.studio.orderLine(o.buyerName, o.quantity, o.productTitle, o.variantTitle)}</span>
                  <strong>{fmt.money(o.total, o.currency)}</strong>
                  <time dateTime={o.at} class="muted">
                    {fmt.time(o.at)}
                  </time>
                </li>
              ))}
            </ol>
          </section>

          <StudioChat room={room} mod={mod.settings ? mod : null} signedIn={!!user} ended={status === "ended"} />
        </div>
      </div>
    </div>
  );
}

/** The studio's title bar: the show, its status, whose studio this is, the viewer page link and `children` actions. */
function StudioHead({ show, status, role, children }: { show: Show; status: Show["status"]; role: string; children?: ComponentChildren }) {
  const { m, fmt } = useI18n();
  return (
    <header class="studio-head">
      <div class="grow">
        <h1>{show.title}</h1>
        <p class="muted">
          <StatusBadge status={status} /> {role} · <time dateTime={show.scheduledAt}>{fmt.dateTime(show.scheduledAt)}</time>
        </p>
      </div>
      <div class="actions">
        <Link class="btn btn-small btn-ghost" href={`/shows/${show.id}`}>
          {m.studio.viewerPage}
        </Link>
        {children}
      </div>
    </header>
  );
}

/** The studio of a moderator who is not the host: the show's chat and the moderation card. */
function ModeratorStudio({ show, room, mod, signedIn }: { show: Show; room: Room; mod: StudioModeration; signedIn: boolean }) {
  const { m } = useI18n();
  const status = room.state.status ?? show.status;
  return (
    <div class="page studio">
      <StudioHead show={show} status={status} role={m.moderation.title} />
      <div class="studio-grid studio-grid-2">
        <div class="studio-col">
          <StudioChat room={room} mod={mod} signedIn={signedIn} ended={status === "ended"} />
        </div>
        <div class="studio-col">
          <ModerationPanel mod={mod} canManage={false} />
        </div>
      </div>
    </div>
  );
}
