import { render } from "preact";
import { App } from "./app.tsx";
import { I18nProvider } from "./i18n/index.tsx";
import { SessionProvider } from "./session.tsx";
import "./styles.css";
import { captureShareToken } from "./lib/share-attribution.ts";

// Before the first render: a shared link's token is remembered and dropped from the address bar.
captureShareToken();

render(
  <I18nProvider>
    <SessionProvider>
      <App />
    </SessionProvider>
  </I18nProvider>,
  document.getElementById("app")!,
);
