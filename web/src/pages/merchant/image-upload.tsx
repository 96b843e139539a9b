import { useRef, useState } from "preact/hooks";
import { api } from "../../api/endpoints.ts";
import { useI18n } from "../../i18n/index.tsx";

const MAX_BYTES = 5 * 1024 * 1024;
const TYPES = ["image/png", "image/jpeg", "image/webp"];

/** Checks type and size before uploading, and uploads the files one by one; answers their URLs. */
export function useImageUpload() {
  const { m, errorText } = useI18n();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const upload = async (files: FileList | File[]): Promise<string[]> => {
    const urls: string[] = [];
    const errs: string[] = [];
    setBusy(true);
    for (const f of Array.from(files)) {
      if (!TYPES.includes(f.type)) errs.push(m.products.imageWrongType(f.name));
      else if (f.size > MAX_BYTES) errs.push(m.products.imageTooBig(f.name));
      else {
        try {
          urls.push((await api.merchant.uploadImage(f)).url);
        } catch (err) {
          errs.push(`${f.name}: ${errorText(err)}`);
        }
      }
    }
    setErrors(errs);
    setBusy(false);
    return urls;
  };
  return { upload, busy, errors };
}

export function FilePicker({ id, label, multiple, disabled, onFiles }: { id: string; label: string; multiple?: boolean; disabled?: boolean; onFiles(files: FileList): void }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={input}
        id={id}
        type="file"
        class="visually-hidden"
        accept={TYPES.join(",")}
        multiple={multiple}
        disabled={disabled}
        onChange={(e) => {
          const files = e.currentTarget.files;
          if (files && files.length) onFiles(files);
          e.currentTarget.value = "";
        }}
      />
      <label for={id} class={`btn btn-small ${disabled ? "disabled" : ""}`} tabIndex={-1}>
        {label}
      </label>
    </>
  );
}
