/** The dashboards, loaded on demand (Chart.js stays out of the viewer's bundle). */
export { LiveDashboard, LiveDashboardPage, analyticsSource } from "./live-dashboard.tsx";
export { ReportsPage } from "./reports-page.tsx";
