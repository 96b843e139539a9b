import { useState } from "preact/hooks";
import { AvatarUrl, CREATOR_CATEGORIES, Handle, HttpsUrl, RESERVED_HANDLES, type Creator, type CreatorCategory } from "../../../../src/shared/contracts/creators.ts";
import { isApiError } from "../../api/client.ts";
import { api } from "../../api/endpoints.ts";
import { Field } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { canHost, useSession } from "../../session.tsx";
import { FilePicker, useImageUpload } from "../merchant/image-upload.tsx";
import { Avatar } from "./bits.tsx";

const MAX_CATEGORIES = 5;
const MAX_LINKS = 5;

/** Turns on (creator null) or edits the signed-in user's creator profile. */
export function ProfileForm({ creator, suggestedName, onSaved }: { creator: Creator | null; suggestedName?: string; onSaved(c: Creator): void }) {
  const { m, errorText } = useI18n();
  const { user } = useSession();
  const [handle, setHandle] = useState(creator?.handle ?? "");
  const [displayName, setDisplayName] = useState(creator?.displayName ?? suggestedName ?? "");
  const [avatarUrl, setAvatarUrl] = useState<string | null>(creator?.avatarUrl ?? null);
  const [avatarInput, setAvatarInput] = useState(creator?.avatarUrl?.startsWith("https://") ? creator.avatarUrl : "");
  const [bio, setBio] = useState(creator?.bio ?? "");
  const [categories, setCategories] = useState<CreatorCategory[]>(creator?.categories ?? []);
  const [links, setLinks] = useState((creator?.links ?? []).join("\n"));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const uploader = useImageUpload();
  // Uploads are for hosts and staff; anyone may point to a picture elsewhere.
  const mayUpload = canHost(user);

  const submit = async (e: Event) => {
    e.preventDefault();
    setFlash(null);
    setProblem(null);
    const es: Record<string, string> = {};
    const h = Handle.safeParse(handle);
    if (!handle.trim()) es.handle = m.creator.required;
    else if (!h.success) es.handle = RESERVED_HANDLES.includes(handle.trim().toLowerCase()) ? m.creator.handleReserved : m.creator.handleInvalid;
    if (!displayName.trim()) es.displayName = m.creator.required;
    const linkList = links.split(/\s+/).map((l) => l.trim()).filter(Boolean);
    const badLink = linkList.find((l) => !HttpsUrl.safeParse(l).success);
    if (badLink) es.links = m.creator.linkInvalid(badLink);
    else if (linkList.length > MAX_LINKS) es.links = m.creator.tooManyLinks(MAX_LINKS);
    else if (new Set(linkList).size !== linkList.length) es.links = m.creator.duplicateLink;
    let avatar = avatarUrl;
    if (avatarInput.trim() && avatarInput.trim() !== avatarUrl) avatar = avatarInput.trim();
    if (avatar && !AvatarUrl.safeParse(avatar).success) es.avatar = m.creator.avatarUrlInvalid;
    setErrors(es);
    if (Object.keys(es).length) return;
    setBusy(true);
    try {
      const body = { handle: handle.trim(), displayName: displayName.trim(), avatarUrl: avatar, bio: bio.trim(), categories, links: linkList };
      const saved = creator ? await api.creators.edit(body) : await api.creators.turnOn(body);
      setAvatarUrl(saved.avatarUrl);
      setFlash(creator ? m.creator.saved : m.creator.created);
      onSaved(saved);
    } catch (err) {
      if (isApiError(err) && err.code === "creator_handle_taken") setErrors({ handle: errorText(err) });
      else {
        const detail = isApiError(err) ? Object.entries(err.fieldErrors()).map(([k, v]) => `${k}: ${v}`).join("; ") : "";
        setProblem(detail ? `${errorText(err)} (${detail})` : errorText(err));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form creator-form" onSubmit={submit} noValidate aria-labelledby={creator ? "creator-form-title" : "creator-become-title"} data-testid="creator-form">
      {creator && (
        <div class="card-head">
          <h2 id="creator-form-title" class="card-title">
            {m.creator.editTitle}
          </h2>
          <Link class="btn btn-small btn-ghost" href={`/c/${encodeURIComponent(creator.handle)}`} data-testid="public-page-link">
            {m.creator.publicPage}
          </Link>
        </div>
      )}
      {flash && (
        <p class="flash" role="status">
          {flash}
        </p>
      )}
      <div class="row-2 row-stack">
        <Field id="cr-handle" label={m.creator.handle} hint={m.creator.handleHint} error={errors.handle}>
          {(a) => (
            <span class="input-prefix">
              <span aria-hidden="true">@</span>
              <input {...a} data-testid="creator-handle" value={handle} maxLength={30} autoComplete="off" autoCapitalize="none" spellcheck={false} required onInput={(e) => setHandle(e.currentTarget.value.replace(/^@+/, ""))} />
            </span>
          )}
        </Field>
        <Field id="cr-name" label={m.creator.displayName} error={errors.displayName}>
          {(a) => <input {...a} data-testid="creator-name" value={displayName} maxLength={60} required onInput={(e) => setDisplayName(e.currentTarget.value)} />}
        </Field>
      </div>
      <fieldset>
        <legend>{m.creator.avatar}</legend>
        <div class="avatar-edit">
          <Avatar url={avatarUrl} name={displayName || handle} size="lg" />
          <div class="actions">
            {mayUpload && (
              <FilePicker
                id="cr-avatar-file"
                label={uploader.busy ? m.products.uploading : avatarUrl ? m.creator.changeAvatar : m.creator.uploadAvatar}
                disabled={uploader.busy}
                onFiles={async (files) => {
                  const [url] = await uploader.upload([files[0]!]);
                  if (url) {
                    setAvatarUrl(url);
                    setAvatarInput("");
                  }
                }}
              />
            )}
            {avatarUrl && (
              <button type="button" class="btn btn-small btn-ghost" onClick={() => (setAvatarUrl(null), setAvatarInput(""))}>
                {m.creator.removeAvatar}
              </button>
            )}
          </div>
        </div>
        {uploader.errors.map((e) => (
          <p key={e} class="field-error" role="alert">
            {e}
          </p>
        ))}
        <Field id="cr-avatar-url" label={mayUpload ? m.creator.avatarUrlOr : m.creator.avatarUrl} error={errors.avatar}>
          {(a) => <input {...a} type="url" inputMode="url" placeholder="https://" value={avatarInput} maxLength={300} onInput={(e) => setAvatarInput(e.currentTarget.value)} onChange={(e) => {
            const v = e.currentTarget.value.trim();
            if (HttpsUrl.safeParse(v).success) setAvatarUrl(v);
          }} />}
        </Field>
      </fieldset>
      <Field id="cr-bio" label={m.creator.bio} hint={m.creator.bioHint}>
        {(a) => <textarea {...a} data-testid="creator-bio" rows={4} maxLength={1000} value={bio} onInput={(e) => setBio(e.currentTarget.value)} />}
      </Field>
      <fieldset>
        <legend>{m.creator.categories}</legend>
        <ul class="toggle-chips">
          {CREATOR_CATEGORIES.map((c) => {
            const on = categories.includes(c);
            return (
              <li key={c}>
                <label class={on ? "on" : ""}>
                  <input
                    type="checkbox"
                    checked={on}
                    disabled={!on && categories.length >= MAX_CATEGORIES}
                    onChange={(e) => {
                      const checked = e.currentTarget.checked;
                      setCategories((cs) => (checked ? [...cs, c] : cs.filter((x) => x !== c)));
                    }}
                  />
                  {m.category[c]}
                </label>
              </li>
            );
          })}
        </ul>
        <small class="hint">{m.creator.categoriesHint(MAX_CATEGORIES)}</small>
      </fieldset>
      <Field id="cr-links" label={m.creator.links} hint={m.creator.linksHint(MAX_LINKS)} error={errors.links}>
        {(a) => <textarea {...a} rows={3} placeholder="https://instagram.com/…" value={links} onInput={(e) => setLinks(e.currentTarget.value)} />}
      </Field>
      {problem && (
        <p class="form-error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy || uploader.busy} data-testid="save-creator">
          {busy ? m.app.saving : creator ? m.creator.save : m.creator.becomeSubmit}
        </button>
      </div>
    </form>
  );
}

