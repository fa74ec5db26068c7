import { createApp } from 'vue';
import App from './App.vue';
import { applyTheme, storedTheme } from './theme';
import './style.css';

applyTheme(storedTheme());
createApp(App).mount('#app');
